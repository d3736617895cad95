/**
 * The fd watcher behind RDMA event mode (epoll on the libuv thread pool): it
 * calls back when a watched fd turns readable, not before, and lets the event
 * loop end once nothing is watched. Exercised with an eventfd, which needs no
 * RDMA device.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { fdWatcher } from '../../../src/native/fd-watch.js';
import { shortIpv6 } from '../../../src/native/rdmacm.js';

const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
const libc = koffi.load('libc.so.6');
const eventfd = libc.func('int eventfd(unsigned int initval, int flags)') as (v: number, f: number) => number;
const write = libc.func('long write(int fd, void *buf, size_t n)') as (fd: number, b: Buffer, n: number) => number;
const read = libc.func('long read(int fd, void *buf, size_t n)') as (fd: number, b: Buffer, n: number) => number;
const close = libc.func('int close(int fd)') as (fd: number) => number;
const EFD_NONBLOCK = 0o4000;

const open: number[] = [];
afterEach(() => {
  for (const fd of open.splice(0)) {
    fdWatcher().unwatch(fd);
    close(fd);
  }
});

function counterFd(): number {
  const fd = eventfd(0, EFD_NONBLOCK);
  expect(fd).toBeGreaterThanOrEqual(0);
  open.push(fd);
  return fd;
}

function signal(fd: number, n: bigint): void {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  expect(write(fd, b, 8)).toBe(8);
}

describe('fdWatcher', () => {
  it('calls back once the fd is readable, with what was written, and again for the next write', async () => {
    const fd = counterFd();
    const seen: bigint[] = [];
    let wake: () => void = () => {};
    fdWatcher().watch(fd, () => {
      const b = Buffer.alloc(8);
      if (read(fd, b, 8) === 8) seen.push(b.readBigUInt64LE());
      wake();
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([]);
    const first = new Promise<void>((r) => (wake = r));
    signal(fd, 3n);
    await first;
    const second = new Promise<void>((r) => (wake = r));
    signal(fd, 4n);
    await second;
    expect(seen).toEqual([3n, 4n]);
  });

  it('serves several fds from one wait and forgets an unwatched one', async () => {
    const a = counterFd();
    const b = counterFd();
    const calls: string[] = [];
    let wake: () => void = () => {};
    const drain = (fd: number, name: string) => () => {
      read(fd, Buffer.alloc(8), 8);
      calls.push(name);
      wake();
    };
    fdWatcher().watch(a, drain(a, 'a'));
    fdWatcher().watch(b, drain(b, 'b'));
    expect(fdWatcher().size).toBe(2);
    fdWatcher().unwatch(a);
    const got = new Promise<void>((r) => (wake = r));
    signal(a, 1n);
    signal(b, 1n);
    await got;
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['b']);
  });
});

describe('shortIpv6', () => {
  it.each([
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[0xfe80, 0, 0, 0, 0, 0, 0, 0x1], 'fe80::1'],
    [[0x2001, 0xdb8, 0, 1, 0, 0, 0, 1], '2001:db8:0:1::1'],
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[1, 2, 3, 4, 5, 6, 7, 8], '1:2:3:4:5:6:7:8'],
  ])('prints %j as %s', (words, text) => {
    expect(shortIpv6(words)).toBe(text);
  });
});
