import { describe, expect, it } from 'vitest';
import { parseSize } from '../../../src/cli/size.js';
import { ConfigError } from '../../../src/spec/errors.js';

describe('parseSize', () => {
  it('reads bytes and binary multiples in any case, with an optional B or iB', () => {
    const cases: [string, number][] = [
      ['4096', 4096],
      ['4k', 4096],
      ['128K', 131072],
      ['1M', 1048576],
      ['64MiB', 64 * 1048576],
      ['1G', 1073741824],
      ['2gb', 2 * 1073741824],
      ['1t', 2 ** 40],
      [' 512 ', 512],
    ];
    for (const [text, bytes] of cases) expect(parseSize(text, '--io-size'), text).toBe(bytes);
  });

  it('names the flag when the text is not a size', () => {
    for (const bad of ['', 'k', '4x', '1.5M', '-4k', '4 k']) {
      expect(() => parseSize(bad, '--io-size'), bad).toThrow(ConfigError);
    }
    expect(() => parseSize('4x', '--io-size')).toThrow("--io-size: expected a size like 4096, 4k, 128K, 1M or 1G, got '4x'");
  });

  it('refuses sizes it cannot count exactly', () => {
    expect(() => parseSize('99999999999T', '--size')).toThrow('--size: size');
  });
});
