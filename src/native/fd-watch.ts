/**
 * Readiness of file descriptors libuv cannot watch for us: the rdma_cm event
 * channel and verbs completion channels are character devices, which
 * `net.Socket` refuses (libuv calls them files) and Node has no public
 * `uv_poll`. So one epoll set per thread holds every watched fd, and a single
 * `epoll_wait` runs on the libuv thread pool through a koffi async call; when
 * it returns, the callbacks of the ready fds run on the event loop and the
 * wait is issued again. Nothing spins while idle: the pool thread sleeps in
 * the kernel. An eventfd in the set wakes the wait when the last fd goes, so
 * the event loop can end.
 *
 * Watches are level-triggered: a callback must drain its fd (until EAGAIN),
 * or it is called again at once.
 */
import { createRequire } from 'node:module';
import { TransportError } from '../spec/errors.js';

type Koffi = typeof import('koffi');
type AsyncFn = ((...args: unknown[]) => number) & { async: (...args: unknown[]) => void };

const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLLIN = 1;
const EPOLL_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const MAX_EVENTS = 64;
/** `struct epoll_event` is packed on x86_64 (12 bytes), naturally aligned elsewhere (16). */
const EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const EVENT_DATA = process.arch === 'x64' ? 4 : 8;

interface Epoll {
  create(): number;
  ctl(epfd: number, op: number, fd: number, ev: Buffer | null): number;
  wait: AsyncFn;
  eventfd(): number;
  write(fd: number, buf: Buffer, n: number): number;
  read(fd: number, buf: Buffer, n: number): number;
  close(fd: number): number;
  errnoName(): string;
}

let bound: Epoll | undefined;

function epoll(): Epoll {
  if (bound) return bound;
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const libc = koffi.load('libc.so.6');
  const names = Object.entries(koffi.os.errno);
  const create = libc.func('int epoll_create1(int flags)') as (f: number) => number;
  const ctl = libc.func('int epoll_ctl(int epfd, int op, int fd, void *ev)') as Epoll['ctl'];
  const eventfd = libc.func('int eventfd(unsigned int initval, int flags)') as (v: number, f: number) => number;
  bound = {
    create: () => create(EPOLL_CLOEXEC),
    ctl,
    wait: libc.func('int epoll_wait(int epfd, void *events, int maxevents, int timeout)') as AsyncFn,
    eventfd: () => eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC),
    write: libc.func('long write(int fd, void *buf, size_t n)') as Epoll['write'],
    read: libc.func('long read(int fd, void *buf, size_t n)') as Epoll['read'],
    close: libc.func('int close(int fd)') as (fd: number) => number,
    errnoName: () => {
      const e = koffi.errno();
      return names.find(([, v]) => v === e)?.[0] ?? `errno ${e}`;
    },
  };
  return bound;
}

/** Called on the event loop when its fd is readable. */
export type FdReady = () => void;

/** One epoll set and its wait on the thread pool. */
class FdWatcher {
  private epfd = -1;
  private wakeFd = -1;
  private readonly watches = new Map<number, FdReady>();
  /** Native memory the pool thread writes events into (a Buffer may move; this may not). */
  private readonly events = Buffer.alloc(MAX_EVENTS * EVENT_SIZE);
  private readonly one = Buffer.alloc(EVENT_SIZE);
  private readonly counter = Buffer.alloc(8);
  private waiting = false;

  /**
   * Calls `ready` whenever `fd` is readable, until `unwatch(fd)`.
   * @throws TransportError when epoll cannot take the fd
   */
  watch(fd: number, ready: FdReady): void {
    const ep = epoll();
    if (this.epfd < 0) this.open(ep);
    this.one.fill(0);
    this.one.writeUInt32LE(EPOLLIN, 0);
    this.one.writeInt32LE(fd, EVENT_DATA);
    if (ep.ctl(this.epfd, EPOLL_CTL_ADD, fd, this.one) !== 0) {
      const e = ep.errnoName();
      throw new TransportError(`epoll_ctl(ADD, fd ${fd}) failed: ${e}`, e);
    }
    this.watches.set(fd, ready);
    this.arm();
  }

  /** Stops calling back for `fd` (before the fd is closed). */
  unwatch(fd: number): void {
    if (!this.watches.delete(fd)) return;
    const ep = epoll();
    ep.ctl(this.epfd, EPOLL_CTL_DEL, fd, this.one);
    if (this.watches.size === 0 && this.waiting) {
      this.counter.writeBigUInt64LE(1n, 0);
      ep.write(this.wakeFd, this.counter, 8);
    }
  }

  /** Fds watched now (for tests and stats). */
  get size(): number {
    return this.watches.size;
  }

  private open(ep: Epoll): void {
    this.epfd = ep.create();
    if (this.epfd < 0) throw new TransportError(`epoll_create1 failed: ${ep.errnoName()}`, ep.errnoName());
    this.wakeFd = ep.eventfd();
    this.one.fill(0);
    this.one.writeUInt32LE(EPOLLIN, 0);
    this.one.writeInt32LE(this.wakeFd, EVENT_DATA);
    ep.ctl(this.epfd, EPOLL_CTL_ADD, this.wakeFd, this.one);
  }

  private arm(): void {
    if (this.waiting || this.watches.size === 0) return;
    this.waiting = true;
    epoll().wait.async(this.epfd, this.events, MAX_EVENTS, -1, this.onWait);
  }

  private readonly onWait = (err: unknown, n: number): void => {
    this.waiting = false;
    const ep = epoll();
    for (let i = 0; i < (err ? 0 : n); i++) {
      const fd = this.events.readInt32LE(i * EVENT_SIZE + EVENT_DATA);
      if (fd === this.wakeFd) {
        ep.read(this.wakeFd, this.counter, 8);
        continue;
      }
      const ready = this.watches.get(fd);
      if (ready === undefined) continue;
      try {
        ready();
      } catch (e) {
        // A watcher's bug must not stop every other fd from being served.
        process.emitWarning(`fd ${fd} watcher threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
    this.arm();
  };
}

let perThread: FdWatcher | undefined;

/** This thread's watcher (each worker thread has its own module instance, so its own epoll set). */
export function fdWatcher(): FdWatcher {
  perThread ??= new FdWatcher();
  return perThread;
}

export type { FdWatcher };
