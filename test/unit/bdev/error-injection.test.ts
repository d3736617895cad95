import { describe, expect, it } from 'vitest';
import { decodeCqe } from '../../../src/spec/cqe.js';
import { ConfigError } from '../../../src/spec/errors.js';
import { IoOpcode } from '../../../src/spec/opcodes.js';
import { GenericStatus, StatusCodeType } from '../../../src/spec/status.js';
import { ErrorBlockDevice, InjectedIoError } from '../../../src/target/bdev/error-injection.js';
import { MallocBlockDevice } from '../../../src/target/bdev/malloc.js';
import { NvmfTarget } from '../../../src/target/target.js';
import { blockSqe, connectIo, enableController, SUBNQN } from '../target/harness.js';

function setup(): { dev: ErrorBlockDevice; base: MallocBlockDevice } {
  const base = new MallocBlockDevice({ name: 'Malloc7', numBlocks: 64 });
  return { dev: new ErrorBlockDevice(base), base };
}

function writeResult(dev: ErrorBlockDevice, lba: number, data: Buffer): Error | null | undefined {
  let result: Error | null | undefined;
  dev.write(lba, data, (err) => (result = err));
  return result;
}

function readResult(dev: ErrorBlockDevice, lba: number): { err: Error | null; data: Buffer | null } | undefined {
  let result: { err: Error | null; data: Buffer | null } | undefined;
  dev.read(lba, 1, (err, data) => (result = { err, data: data && Buffer.from(data) }));
  return result;
}

describe('ErrorBlockDevice', () => {
  it('is named EE_<base> with the base geometry, and passes I/O through when nothing is armed', () => {
    const { dev } = setup();
    expect([dev.name, dev.blockSize, dev.numBlocks]).toEqual(['EE_Malloc7', 512, 64]);
    expect(writeResult(dev, 1, Buffer.alloc(512, 3))).toBeNull();
    expect(readResult(dev, 1)!.data!.equals(Buffer.alloc(512, 3))).toBe(true);
  });

  it('fails N I/Os of the armed type, then passes; other types are untouched', () => {
    const { dev, base } = setup();
    dev.injectError({ ioType: 'write', errorType: 'failure', num: 2 });
    expect(writeResult(dev, 0, Buffer.alloc(512, 1))).toBeInstanceOf(InjectedIoError);
    expect(readResult(dev, 0)!.err).toBeNull();
    expect(writeResult(dev, 0, Buffer.alloc(512, 1))).toBeInstanceOf(InjectedIoError);
    // Failed writes never reached the base.
    expect(readResult(dev, 0)!.data!.equals(Buffer.alloc(512))).toBe(true);
    expect(writeResult(dev, 0, Buffer.alloc(512, 1))).toBeNull();
    let baseData: Buffer | null = null;
    base.read(0, 1, (_e, d) => (baseData = Buffer.from(d!)));
    expect(baseData!.equals(Buffer.alloc(512, 1))).toBe(true);
  });

  it('"all" arms read, write, unmap and flush; "clear" disarms', () => {
    const { dev } = setup();
    dev.injectError({ ioType: 'all', errorType: 'failure', num: 1 });
    const errs: (Error | null)[] = [];
    dev.flush((e) => errs.push(e));
    dev.unmap([{ lba: 0, numBlocks: 1 }], (e) => errs.push(e));
    dev.writeZeroes(0, 1, (e) => errs.push(e));
    expect(errs.map((e) => e?.name ?? null)).toEqual(['InjectedIoError', 'InjectedIoError', null]);
    dev.injectError({ ioType: 'clear', errorType: 'failure' });
    expect(readResult(dev, 0)!.err).toBeNull();
    expect(writeResult(dev, 0, Buffer.alloc(512))).toBeNull();
  });

  it('corrupt_data XORs one byte of a write on its way to the base, without touching the caller buffer', () => {
    const { dev } = setup();
    dev.injectError({ ioType: 'write', errorType: 'corrupt_data', corruptOffset: 10, corruptValue: 0xff });
    const data = Buffer.alloc(512, 0x0f);
    expect(writeResult(dev, 2, data)).toBeNull();
    expect(data.equals(Buffer.alloc(512, 0x0f))).toBe(true);
    const back = readResult(dev, 2)!.data!;
    expect(back[10]).toBe(0xf0);
    back[10] = 0x0f;
    expect(back.equals(data)).toBe(true);
  });

  it('corrupt_data on reads returns a corrupted copy and leaves the base intact', () => {
    const { dev } = setup();
    writeResult(dev, 3, Buffer.alloc(512, 0x11));
    dev.injectError({ ioType: 'read', errorType: 'corrupt_data', corruptOffset: 0, corruptValue: 0x01 });
    expect(readResult(dev, 3)!.data![0]).toBe(0x10);
    expect(readResult(dev, 3)!.data![0]).toBe(0x11);
  });

  it('pending holds I/Os until resumed; close fails those still held', () => {
    const { dev } = setup();
    dev.injectError({ ioType: 'read', errorType: 'pending', num: 2 });
    const results: (Error | null)[] = [];
    dev.read(0, 1, (e) => results.push(e));
    expect([results.length, dev.pendingCount]).toEqual([0, 1]);
    dev.resumePending();
    expect(results).toEqual([null]);
    dev.read(0, 1, (e) => results.push(e));
    dev.close(() => undefined);
    expect(results[1]).toBeInstanceOf(InjectedIoError);
  });

  it('nomem resubmits on the next turn of the event loop', async () => {
    const { dev } = setup();
    dev.injectError({ ioType: 'write', errorType: 'nomem' });
    let result: Error | null | undefined;
    dev.write(0, Buffer.alloc(512, 9), (e) => (result = e));
    expect(result).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(result).toBeNull();
  });

  it('refuses bad parameters with SPDK parameter names', () => {
    const { dev } = setup();
    expect(() => dev.injectError({ ioType: 'write', errorType: 'corrupt_data' })).toThrow(/corrupt_value/);
    expect(() => dev.injectError({ ioType: 'bogus' as 'read', errorType: 'failure' })).toThrow(/io_type/);
    expect(() => dev.injectError({ ioType: 'read', errorType: 'bogus' as 'failure' })).toThrow(ConfigError);
    expect(() => dev.injectError({ ioType: 'read', errorType: 'failure', num: -1 })).toThrow(/num/);
  });

  it('behind the target, an injected failure completes as Internal Error without DNR, then I/O succeeds', () => {
    const { dev } = setup();
    const target = new NvmfTarget();
    target.addListener({ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420' });
    target.createSubsystem({ nqn: SUBNQN, allowAnyHost: true }).addNamespace(dev);
    const { cntlid } = enableController(target);
    const { io } = connectIo(target, cntlid);
    dev.injectError({ ioType: 'read', errorType: 'failure', num: 1 });
    const cqes: ReturnType<typeof decodeCqe>[] = [];
    io.qp.execute(blockSqe(IoOpcode.READ, 1, 0, 1), null, (raw) => cqes.push(decodeCqe(raw)));
    io.qp.execute(blockSqe(IoOpcode.READ, 1, 0, 1), null, (raw) => cqes.push(decodeCqe(raw)));
    expect(cqes.map((c) => [c.sct, c.sc, c.dnr])).toEqual([
      [StatusCodeType.GENERIC, GenericStatus.INTERNAL_ERROR, false],
      [0, 0, false],
    ]);
    target.close();
  });
});
