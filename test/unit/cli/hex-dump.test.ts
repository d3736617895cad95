import { describe, expect, it } from 'vitest';
import { hexDump } from '../../../src/cli/hex-dump.js';

describe('hexDump', () => {
  it("lays out lines as spdk_nvme_identify -x does: offset, two halves split by '-', printable text", () => {
    const data = Buffer.concat([Buffer.from('SPDK_Controller1'), Buffer.from([0x00, 0x20, 0x7e, 0x7f, 0xff])]);
    expect(hexDump(data)).toBe(
      '00000000: 53 50 44 4B 5F 43 6F 6E-74 72 6F 6C 6C 65 72 31  SPDK_Controller1\n' +
        // SPDK prints the separator even where the second half is empty.
        '00000010: 00 20 7E 7F FF         -                         ..~..\n',
    );
  });

  it('counts offsets in hex and prints nothing for no data', () => {
    const lines = hexDump(Buffer.alloc(4096)).split('\n');
    expect(lines).toHaveLength(257);
    expect(lines[255]).toBe(`00000FF0: ${Array(8).fill('00').join(' ')}-${Array(8).fill('00').join(' ')}  ${'.'.repeat(16)}`);
    expect(hexDump(Buffer.alloc(0))).toBe('');
  });
});
