import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildFioResult, fioPlatIndex, fioPlatValue } from '../../../src/fio/fio-result.js';
import { formatFioJson } from '../../../src/fio/fio-json-report.js';
import { fioCtime } from '../../../src/fio/fio-text-report.js';
import { clone, FIO_VECTORS, makeJob, run, sampleShapedRun } from './fio-result-fixtures.js';

/** A JSON value's kind as fio's json.c prints it: integers and floats (`%f`) apart. */
type Kind = 'int' | 'float' | 'string' | 'object' | 'array' | 'bool' | 'null';

/**
 * Every key path of a JSON text with the kind of its value, in document order
 * (array elements as `[i]`). A small parser because JSON.parse forgets both
 * the order of numeric-looking keys and whether a number had decimals.
 */
function keyTree(text: string): [path: string, kind: Kind][] {
  const out: [string, Kind][] = [];
  let pos = 0;
  const ws = () => {
    while (/\s/.test(text[pos] ?? '')) pos++;
  };
  const expectChar = (c: string) => {
    ws();
    if (text[pos] !== c) throw new Error(`expected '${c}' at ${pos}, found '${text[pos]}'`);
    pos++;
  };
  const string = (): string => {
    expectChar('"');
    let s = '';
    while (text[pos] !== '"') {
      if (text[pos] === '\\') pos++;
      s += text[pos++];
    }
    pos++;
    return s;
  };
  const value = (path: string): void => {
    ws();
    const c = text[pos]!;
    if (c === '{') {
      out.push([path, 'object']);
      pos++;
      ws();
      if (text[pos] === '}') {
        pos++;
        return;
      }
      for (;;) {
        const key = string();
        expectChar(':');
        value(`${path}/${key}`);
        ws();
        if (text[pos++] === '}') return;
      }
    }
    if (c === '[') {
      out.push([path, 'array']);
      pos++;
      ws();
      if (text[pos] === ']') {
        pos++;
        return;
      }
      for (let i = 0; ; i++) {
        value(`${path}[${i}]`);
        ws();
        if (text[pos++] === ']') return;
      }
    }
    if (c === '"') {
      string();
      out.push([path, 'string']);
      return;
    }
    const literal = /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null)/.exec(text.slice(pos))![0];
    pos += literal.length;
    out.push([path, /^[tf]/.test(literal) ? 'bool' : literal === 'null' ? 'null' : literal.includes('.') ? 'float' : 'int']);
  };
  value('');
  ws();
  expect(pos).toBe(text.length);
  return out;
}

const sampleJson = readFileSync(`${FIO_VECTORS}sample.json`, 'utf8');

describe('formatFioJson: key tree against fio 3.33', () => {
  const ours = formatFioJson(buildFioResult(sampleShapedRun()), false);

  it("has every key of sample.json, in the same order, with the same kind of value (disk_util aside: no block device)", () => {
    const theirs = keyTree(sampleJson).filter(([path]) => !path.startsWith('/disk_util'));
    const mine = keyTree(ours);
    expect(mine.length).toBe(theirs.length);
    theirs.forEach(([path, kind], i) => {
      expect(mine[i], `key ${i}: ${path}`).toEqual([path, kind]);
    });
  });

  it("prints like fio's json.c: two-space indent, `\"key\" : value`, six decimals for floats, newline at the end", () => {
    // Line for line as sample.json with scalar values masked, up to where fio's disk_util begins.
    const mask = (line: string) => line.replace(/ : (?![{[]).*?(,?)$/, ' : VALUE$1');
    const sampleLines = sampleJson.split('\n');
    const cut = sampleLines.indexOf('  "disk_util" : [');
    const theirs = [...sampleLines.slice(0, cut - 1), '  ]', '}', ''].map(mask);
    expect(ours.split('\n').map(mask)).toEqual(theirs);
    expect(ours.startsWith('{\n  "fio version" : "nvmekit-fio-')).toBe(true);
    expect(ours).toMatch(/\n {8}"iops" : \d+\.\d{6},\n/);
    expect(ours).toMatch(/\n {12}"99\.990000" : \d+\n/);
  });

  it('parses as JSON with the numbers of the result', () => {
    const result = buildFioResult(sampleShapedRun());
    const doc = JSON.parse(ours) as {
      timestamp: number;
      timestamp_ms: number;
      time: string;
      'global options': Record<string, string>;
      jobs: { jobname: string; 'job options': Record<string, string>; read: Record<string, unknown> }[];
    };
    expect(doc.timestamp_ms).toBe(result.startedAt);
    expect(doc.timestamp).toBe(Math.floor(result.startedAt / 1000));
    expect(doc.time).toBe(fioCtime(result.startedAt));
    expect(doc['global options'].filename).toBe('loopback');
    expect(doc.jobs.map((j) => j.jobname)).toEqual(['randrw-4k', 'seqread-128k']);
    // `stonewall` was written without a value: fio leaves it out.
    expect(doc.jobs[1]!['job options']).toEqual({ rw: 'read', bs: '128k' });
    const read = doc.jobs[0]!.read;
    expect(read.io_bytes).toBe(27197 * 4096);
    expect(read.io_kbytes).toBe((27197 * 4096) / 1024);
    expect(read.bw_bytes).toBe(Math.floor((27197 * 4096 * 1000) / 2001));
    expect(read.bw).toBe(Math.floor(Math.floor((27197 * 4096 * 1000) / 2001) / 1024));
    expect(read.iops).toBeCloseTo((27197 * 1000) / 2001, 6);
    expect(read.total_ios).toBe(27197);
    expect(read.runtime).toBe(2001);
  });
});

describe('formatFioJson: json+', () => {
  const job = makeJob({ latPercentiles: true });
  const clat = [50, 120, 127, 128, 129, 5000, 5001, 5100, 27_000, 27_100, 3_000_000];
  const result = buildFioResult(run([clone({ job, read: { clatNs: clat, slatNs: 7 } })]));
  const plus = JSON.parse(formatFioJson(result, true)) as {
    jobs: { read: Record<string, { N: number; percentile?: Record<string, number>; bins?: Record<string, number> }> }[];
  };
  const read = plus.jobs[0]!.read;

  it('adds bins that sum to N under each latency with percentiles, keyed by fio bucket values', () => {
    for (const name of ['clat_ns', 'lat_ns']) {
      const bins = read[name]!.bins!;
      expect(Object.values(bins).reduce((a, b) => a + b, 0)).toBe(read[name]!.N);
      for (const key of Object.keys(bins)) expect(fioPlatValue(fioPlatIndex(Number(key)))).toBe(Number(key));
    }
    // Exact below 128 ns; 128..129 is one 2-ns bucket (middle 129); 4992..5055 a 64-ns one (5024),
    // 5056..5119 the next (5088); 26880..27135 (27008); 2981888..3014655 (2998272).
    expect(read.clat_ns!.bins).toEqual({ '50': 1, '120': 1, '127': 1, '129': 2, '5024': 2, '5088': 1, '27008': 2, '2998272': 1 });
    expect(read.slat_ns!.bins).toBeUndefined();
  });

  it('leaves bins out of plain JSON', () => {
    const plain = JSON.parse(formatFioJson(result, false)) as typeof plus;
    expect(plain.jobs[0]!.read.clat_ns!.bins).toBeUndefined();
    expect(plain.jobs[0]!.read.clat_ns!.percentile).toEqual(read.clat_ns!.percentile);
  });
});

describe('formatFioJson: strings', () => {
  it('escapes backslash and double quote, and drops options without a value', () => {
    const job = makeJob({ name: 'q"uote', rawOptions: { description: 'a\\b "c"', stonewall: '' } });
    const text = formatFioJson(buildFioResult(run([clone({ job, read: { clatNs: [10] } })], { thread: '' })), false);
    expect(text).toContain('"jobname" : "q\\"uote"');
    expect(text).toContain('"description" : "a\\\\b \\"c\\""');
    expect(text).not.toContain('stonewall');
    expect(text).not.toContain('global options');
    const doc = JSON.parse(text) as { jobs: { jobname: string; 'job options': Record<string, string> }[] };
    expect(doc.jobs[0]!.jobname).toBe('q"uote');
    expect(doc.jobs[0]!['job options']).toEqual({ description: 'a\\b "c"' });
  });
});
