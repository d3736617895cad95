import { describe, expect, it } from 'vitest';
import {
  activeFirmwareInfo,
  buildChangedNamespaceList,
  buildCommandEffectsLog,
  buildErrorLog,
  buildFirmwareSlotLog,
  buildSmartLog,
  CHANGED_NS_LIST_OVERFLOW,
  emptyCommandEffectsLog,
  emptyErrorEntry,
  emptyFirmwareSlotLog,
  emptySmartLog,
  ERROR_ENTRY_FIELDS,
  firmwareRevisions,
  LogPageId,
  logPageName,
  parseChangedNamespaceList,
  parseCommandEffectsLog,
  parseErrorLog,
  parseFirmwareSlotLog,
  parseSmartLog,
  SMART_LOG_FIELDS,
} from '../../../src/spec/log-pages.js';
import { AdminOpcode, IoOpcode } from '../../../src/spec/opcodes.js';
import { loadCapturedCommands, logPagePayloads } from '../../helpers/nvme-tcp-capture.js';

const LINUX = 'linux-host-to-linux-nvmet-tcp-plain';
const SPDK = 'spdk-identify-to-spdk-nvmf-tgt-tcp';

function payload(name: string, conn: number, lid: number): Buffer {
  const hit = logPagePayloads(loadCapturedCommands(name, conn), lid).at(-1);
  if (!hit) throw new Error(`no log page ${lid} in ${name} conn ${conn}`);
  return hit.data;
}

describe('log page names', () => {
  it('names log pages, and unknown ones by number', () => {
    expect(logPageName(LogPageId.DISCOVERY)).toBe('Discovery');
    expect(logPageName(0xc0)).toBe('Log Page 0xc0');
  });
});

describe('log page layouts', () => {
  it('pins field offsets', () => {
    const at = (t: readonly { key: string; offset: number }[], k: string) => t.find((f) => f.key === k)?.offset;
    expect(at(ERROR_ENTRY_FIELDS, 'nsid')).toBe(24);
    expect(at(ERROR_ENTRY_FIELDS, 'cmd_specific')).toBe(32);
    expect(at(SMART_LOG_FIELDS, 'data_units_read')).toBe(32);
    expect(at(SMART_LOG_FIELDS, 'num_err_log_entries')).toBe(176);
    expect(at(SMART_LOG_FIELDS, 'temp_sensor8')).toBe(214);
    expect(at(SMART_LOG_FIELDS, 'thm_temp2_total_time')).toBe(228);
  });
});

describe('log page codecs', () => {
  it('round-trips the error log with unused entries after the used ones', () => {
    const e = { ...emptyErrorEntry(), error_count: 2n ** 64n - 1n, sqid: 3, cmdid: 9, status_field: 0x8005, lba: 77n, opcode: 2 };
    const buf = buildErrorLog([e], 4);
    expect(buf.length).toBe(256);
    expect(parseErrorLog(buf)).toEqual([e, emptyErrorEntry(), emptyErrorEntry(), emptyErrorEntry()]);
  });

  it('round-trips SMART / health with 128-bit counters', () => {
    const log = { ...emptySmartLog(), critical_warning: 0x3, temperature: 310, power_on_hours: (1n << 100n) + 7n, temp_sensor8: 301 };
    const buf = buildSmartLog(log);
    expect(buf.readUInt16LE(1)).toBe(310);
    expect(parseSmartLog(buf)).toEqual(log);
  });

  it('round-trips the firmware slot log; empty slots are undefined revisions', () => {
    const log = { ...emptyFirmwareSlotLog(), afi: 0x12, frs2: '1.2.3', frs7: 'ABCDEFGH' };
    const parsed = parseFirmwareSlotLog(buildFirmwareSlotLog(log));
    expect(parsed).toEqual(log);
    expect(firmwareRevisions(parsed)).toEqual([undefined, '1.2.3', undefined, undefined, undefined, undefined, 'ABCDEFGH']);
    expect(activeFirmwareInfo(parsed.afi)).toEqual({ activeSlot: 2, nextResetSlot: 1 });
  });

  it('round-trips the changed namespace list, with the overflow marker', () => {
    expect(parseChangedNamespaceList(buildChangedNamespaceList({ overflow: false, nsids: [1, 5, 9] }))).toEqual({ overflow: false, nsids: [1, 5, 9] });
    const over = buildChangedNamespaceList({ overflow: false, nsids: Array.from({ length: 1025 }, (_, i) => i + 1) });
    expect(over.readUInt32LE(0)).toBe(CHANGED_NS_LIST_OVERFLOW);
    expect(parseChangedNamespaceList(over)).toEqual({ overflow: true, nsids: [] });
  });

  it('round-trips commands supported and effects, bits in their places', () => {
    const log = emptyCommandEffectsLog();
    log.io[IoOpcode.WRITE] = { csupp: true, lbcc: true, ncc: false, nic: false, ccc: false, cser: 0, cse: 2, uss: true, csp: 0x001 };
    log.admin[AdminOpcode.FORMAT_NVM] = { csupp: true, lbcc: true, ncc: true, nic: true, ccc: true, cser: 1, cse: 1, uss: false, csp: 0x020 };
    const buf = buildCommandEffectsLog(log);
    expect(buf.readUInt32LE(1024 + 4 * IoOpcode.WRITE)).toBe(0x001a0003);
    expect(buf.readUInt32LE(4 * AdminOpcode.FORMAT_NVM)).toBe(0x0201401f);
    expect(parseCommandEffectsLog(buf)).toEqual(log);
  });
});

describe('log page golden vectors', () => {
  it('SPDK effects log: the admin and I/O commands spdk_nvmf_tgt supports', () => {
    const log = parseCommandEffectsLog(payload(SPDK, 0, LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS));
    const supported = (set: typeof log.admin) => set.flatMap((e, opc) => (e.csupp ? [opc] : []));
    expect(supported(log.admin)).toEqual([0x02, 0x06, 0x08, 0x09, 0x0a, 0x0c, 0x18]);
    expect(supported(log.io)).toEqual([0x00, 0x01, 0x02, 0x05, 0x08, 0x09, 0x0d, 0x0e, 0x11, 0x15, 0x19]);
    expect(log.io[IoOpcode.WRITE]!.lbcc).toBe(true);
    expect(log.io[IoOpcode.READ]!.lbcc).toBe(false);
    // Command Scope (NVMe 2.0): SPDK marks I/O commands namespace-scoped, admin ones controller-scoped.
    expect(log.io[IoOpcode.READ]!.csp & 0x1).toBe(1);
  });

  it('build(parse(x)) reproduces every captured page of a kind we decode', () => {
    const pages: [Buffer, (b: Buffer) => Buffer][] = [
      [payload(SPDK, 0, LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS), (b) => buildCommandEffectsLog(parseCommandEffectsLog(b))],
      [payload(LINUX, 1, LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS), (b) => buildCommandEffectsLog(parseCommandEffectsLog(b))],
      [payload(SPDK, 0, LogPageId.SMART_HEALTH), (b) => buildSmartLog(parseSmartLog(b))],
      [payload(LINUX, 1, LogPageId.SMART_HEALTH), (b) => buildSmartLog(parseSmartLog(b))],
      [payload(SPDK, 0, LogPageId.FIRMWARE_SLOT), (b) => buildFirmwareSlotLog(parseFirmwareSlotLog(b))],
      [payload(SPDK, 0, LogPageId.ERROR_INFORMATION), (b) => buildErrorLog(parseErrorLog(b))],
    ];
    for (const [bytes, roundTrip] of pages) expect(roundTrip(bytes).equals(bytes)).toBe(true);
  });

  it('the SPDK firmware log has slot 1 active at revision 26.05', () => {
    const fw = parseFirmwareSlotLog(payload(SPDK, 0, LogPageId.FIRMWARE_SLOT));
    expect(activeFirmwareInfo(fw.afi).activeSlot).toBe(1);
    expect(firmwareRevisions(fw)[0]).toBe('26.05');
  });
});
