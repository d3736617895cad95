/**
 * The two Linux calls the file block device needs and Node lacks:
 * fallocate(PUNCH_HOLE | KEEP_SIZE) and ioctl(BLKGETSIZE64), through koffi.
 * libc is loaded on first use; if that fails the device writes zeros instead
 * of punching holes (one log line says so).
 */
import koffi from 'koffi';

/** linux/falloc.h */
const FALLOC_FL_KEEP_SIZE = 0x01;
const FALLOC_FL_PUNCH_HOLE = 0x02;
/** linux/fs.h: _IOR(0x12, 114, size_t) */
const BLKGETSIZE64 = 0x80081272;

export interface FileSystemCalls {
  /**
   * Whether holes can be punched in `fd` (probed past the end of the data,
   * so nothing is changed).
   */
  canPunchHoles(fd: number, sizeBytes: number): boolean;
  /** Deallocates [offset, offset+length) off the event loop; the range then reads as zeros. */
  punchHole(fd: number, offset: number, length: number, cb: (err: Error | null) => void): void;
  /** Size in bytes of a block device. @throws Error when the ioctl fails */
  blockDeviceSize(fd: number): number;
}

type Fallocate = ((fd: number, mode: number, offset: number, len: number) => number) & {
  async(fd: number, mode: number, offset: number, len: number, cb: (err: unknown, res: number) => void): void;
};
type Ioctl = (fd: number, request: number, out: unknown[]) => number;

let loaded: FileSystemCalls | null | undefined;

/** The calls, or null when libc cannot be loaded (logged once per process). */
export function fileSystemCalls(log?: (level: 'warn', msg: string) => void): FileSystemCalls | null {
  if (loaded !== undefined) return loaded;
  try {
    const libc = koffi.load('libc.so.6');
    const fallocate = libc.func('int fallocate(int fd, int mode, int64_t offset, int64_t len)') as Fallocate;
    const ioctl = libc.func('int ioctl(int fd, unsigned long request, _Out_ uint64_t *out)') as Ioctl;
    const mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    loaded = {
      canPunchHoles: (fd, sizeBytes) => fallocate(fd, mode, sizeBytes, 4096) === 0,
      punchHole: (fd, offset, length, cb) =>
        fallocate.async(fd, mode, offset, length, (err, res) => {
          if (err) cb(err instanceof Error ? err : new Error(String(err)));
          else cb(res === 0 ? null : new Error(`fallocate(PUNCH_HOLE) at ${offset} length ${length} failed`));
        }),
      blockDeviceSize: (fd) => {
        const out: unknown[] = [null];
        if (ioctl(fd, BLKGETSIZE64, out) !== 0) throw new Error(`ioctl(BLKGETSIZE64) failed (errno ${koffi.errno()})`);
        return Number(out[0]);
      },
    };
  } catch (err) {
    log?.('warn', `cannot load libc through koffi (${(err as Error).message}); file devices write zeros instead of punching holes`);
    loaded = null;
  }
  return loaded;
}
