/**
 * Splits a byte stream into top-level JSON texts written back to back with no
 * delimiter (SPDK's JSON-RPC framing): tracks nesting depth and string state
 * across chunks, so each byte is scanned once however the stream is cut.
 * Only objects and arrays are framed; anything else at the top level is a
 * framing error, since a bare number or word has no end the stream can show.
 */

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

export type JsonStreamResult =
  | { kind: 'text'; text: string }
  | { kind: 'error'; message: string };

export class JsonStreamSplitter {
  private chunks: Buffer[] = [];
  private pending = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  /** @param maxTextBytes longest JSON text accepted; longer is a framing error */
  constructor(private readonly maxTextBytes: number) {}

  /**
   * Feeds bytes; returns the complete texts they finish, in order. After an
   * error the splitter is unusable (the caller closes the stream).
   */
  push(chunk: Buffer): JsonStreamResult[] {
    const out: JsonStreamResult[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.depth === 0) {
        if (WHITESPACE.has(c)) {
          start = i + 1;
          continue;
        }
        if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
          out.push({ kind: 'error', message: `expected '{' or '[' to start a request, got '${String.fromCharCode(c)}'` });
          return out;
        }
        start = i;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) this.depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth--;
        if (this.depth === 0) {
          if (this.pending + i + 1 - start > this.maxTextBytes) {
            out.push({ kind: 'error', message: `request longer than ${this.maxTextBytes} bytes` });
            return out;
          }
          out.push({ kind: 'text', text: this.take(chunk.subarray(start, i + 1)) });
          start = i + 1;
        }
      }
    }
    if (this.depth > 0) {
      const rest = chunk.subarray(start);
      this.pending += rest.length;
      this.chunks.push(rest);
      if (this.pending > this.maxTextBytes) out.push({ kind: 'error', message: `request longer than ${this.maxTextBytes} bytes` });
    }
    return out;
  }

  /** Bytes of an unfinished text held now. */
  get buffered(): number {
    return this.pending;
  }

  private take(last: Buffer): string {
    if (this.chunks.length === 0) return last.toString('utf8');
    this.chunks.push(last);
    const text = Buffer.concat(this.chunks).toString('utf8');
    this.chunks = [];
    this.pending = 0;
    return text;
  }
}
