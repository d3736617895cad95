import { describe, expect, it } from 'vitest';
import { JsonStreamSplitter } from '../../../src/target/rpc/json-stream.js';

function texts(splitter: JsonStreamSplitter, ...chunks: string[]): string[] {
  return chunks.flatMap((c) => splitter.push(Buffer.from(c))).map((r) => (r.kind === 'text' ? r.text : `ERR ${r.message}`));
}

describe('JsonStreamSplitter', () => {
  it('splits objects and arrays written back to back with no delimiter', () => {
    const s = new JsonStreamSplitter(1024);
    expect(texts(s, '{"a":1}{"b":[2,{"c":3}]} [1,2]\n{}')).toEqual(['{"a":1}', '{"b":[2,{"c":3}]}', '[1,2]', '{}']);
  });

  it('joins a text cut at every byte', () => {
    const msg = '{"method":"x","params":{"s":"a}b{c\\"]"},"id":7}';
    const s = new JsonStreamSplitter(1024);
    const out = [...msg].flatMap((ch) => texts(s, ch));
    expect(out).toEqual([msg]);
    expect(JSON.parse(out[0]!)).toEqual({ method: 'x', params: { s: 'a}b{c"]' }, id: 7 });
    expect(s.buffered).toBe(0);
  });

  it('keeps braces and escaped backslashes inside strings out of the depth count', () => {
    const s = new JsonStreamSplitter(1024);
    expect(texts(s, '{"k":"\\\\"}{"k":"}}}"}')).toEqual(['{"k":"\\\\"}', '{"k":"}}}"}']);
  });

  it('keeps multi-byte UTF-8 split across chunks intact', () => {
    const s = new JsonStreamSplitter(1024);
    const bytes = Buffer.from('{"n":"é€"}');
    const out = [bytes.subarray(0, 7), bytes.subarray(7)].flatMap((b) => s.push(b));
    expect(out).toEqual([{ kind: 'text', text: '{"n":"é€"}' }]);
  });

  it('reports a top-level value that is not an object or array', () => {
    const s = new JsonStreamSplitter(1024);
    expect(texts(s, '{"a":1} x{')).toEqual(['{"a":1}', "ERR expected '{' or '[' to start a request, got 'x'"]);
  });

  it('reports a text longer than the limit', () => {
    const s = new JsonStreamSplitter(16);
    const out = texts(s, '{"a":"0123456789', '0123456789"}');
    expect(out).toEqual(['ERR request longer than 16 bytes']);
  });
});
