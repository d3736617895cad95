/**
 * fio's reserved keywords in option values: `$pagesize`, `$mb_memory` and
 * `$ncpus`, replaced by this machine's numbers. As in fio, a value that is
 * arithmetic once they are replaced (`numjobs=2*$ncpus`, `size=($mb_memory/4)*1024*1024`)
 * is computed in integers (fio hands it to bc with scale 0): + - * / % ^ and parentheses.
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { OptionValueError } from './option-values.js';

/** auxv entry type holding the page size (Linux `AT_PAGESZ`). */
const AT_PAGESZ = 6n;

/** The page size from the kernel's auxiliary vector (Node has no call for it). */
function pageSize(): number {
  let auxv: Buffer;
  try {
    auxv = readFileSync('/proc/self/auxv');
  } catch {
    throw new OptionValueError('$pagesize: cannot read /proc/self/auxv to learn the page size');
  }
  for (let off = 0; off + 16 <= auxv.length; off += 16) {
    if (auxv.readBigUInt64LE(off) === AT_PAGESZ) return Number(auxv.readBigUInt64LE(off + 8));
  }
  throw new OptionValueError('$pagesize: no page size in /proc/self/auxv');
}

/** Keyword → its value, longest first so no keyword is cut by a shorter one. */
const KEYWORDS: ReadonlyArray<readonly [string, () => number]> = [
  ['$mb_memory', () => Math.floor(totalmem() / 2 ** 20)],
  ['$pagesize', pageSize],
  ['$ncpus', () => cpus().length],
];

/**
 * Replaces fio's keywords in `value`, then computes it when what is left is
 * plain integer arithmetic. A value without keywords comes back unchanged.
 * @throws OptionValueError for a division by zero or unbalanced parentheses
 */
export function expandKeywords(value: string): string {
  let out = value;
  for (const [word, get] of KEYWORDS) if (out.includes(word)) out = out.split(word).join(String(get()));
  if (out === value || !/^[\d\s+\-*/%^()]+$/.test(out) || !/[+\-*/%^()]/.test(out)) return out;
  return String(new Arithmetic(out, value).result());
}

/** Integer arithmetic: expr = term {(+|-) term}; term = power {(*|/|%) power}; power = unary [^ power]; unary = [-] (number | (expr)). */
class Arithmetic {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly written: string,
  ) {}

  result(): number {
    const v = this.expr();
    this.skip();
    if (this.pos !== this.text.length) this.fail(`unexpected '${this.text[this.pos]}'`);
    return v;
  }

  private expr(): number {
    let v = this.term();
    for (let op = this.peek(); op === '+' || op === '-'; op = this.peek()) {
      this.pos++;
      v = op === '+' ? v + this.term() : v - this.term();
    }
    return v;
  }

  private term(): number {
    let v = this.power();
    for (let op = this.peek(); op === '*' || op === '/' || op === '%'; op = this.peek()) {
      this.pos++;
      const rhs = this.power();
      if (op !== '*' && rhs === 0) this.fail('division by zero');
      v = op === '*' ? v * rhs : op === '/' ? Math.trunc(v / rhs) : v % rhs;
    }
    return v;
  }

  private power(): number {
    const base = this.unary();
    if (this.peek() !== '^') return base;
    this.pos++;
    return base ** this.power();
  }

  private unary(): number {
    const c = this.peek();
    if (c === '-') {
      this.pos++;
      return -this.unary();
    }
    if (c === '(') {
      this.pos++;
      const v = this.expr();
      if (this.peek() !== ')') this.fail("missing ')'");
      this.pos++;
      return v;
    }
    const m = /^\d+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(c === undefined ? 'it ends too soon' : `unexpected '${c}'`);
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private peek(): string | undefined {
    this.skip();
    return this.text[this.pos];
  }

  private skip(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }

  private fail(why: string): never {
    throw new OptionValueError(`cannot compute '${this.written}' (= '${this.text}'): ${why}`);
  }
}
