/**
 * nvme-target's RPC socket and nvme-rpc as users run them (dist/tools/*.js
 * in their own processes): rpc.py's arguments and printing, save_config into
 * a file and nvme-target -c from it, --wait-for-rpc, and the socket's ownership.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { ensureBuilt, REPO } from './fixtures/built-dist.js';

const TARGET = join(REPO, 'dist/tools/nvme-target.js');
const RPC = join(REPO, 'dist/tools/nvme-rpc.js');
const NQN2 = 'nqn.2016-06.io.nvmekit:cnode2';

beforeAll(() => {
  expect(ensureBuilt('dist/tools/nvme-target.js') && ensureBuilt('dist/tools/nvme-rpc.js')).toBe(true);
}, 180_000);

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const running: Running[] = [];
let dir: string;
let sock: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nvmekit-rpc-cli-'));
  sock = join(dir, 'tgt.sock');
});
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.child.kill('SIGKILL');
    await r.exit;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Starts nvme-target and waits until it prints a line matching `until`. */
async function startTarget(args: string[], until: RegExp): Promise<Running> {
  const child = spawn(process.execPath, [TARGET, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const r: Running = { child, stdout: () => out, stderr: () => err, exit };
  running.push(r);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) resolve();
    });
    void exit.then((code) => reject(new Error(`nvme-target exited with ${code}: ${err}`)));
  });
  return r;
}

/** Runs nvme-rpc against `sock` without blocking the test's event loop. */
function rpc(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RPC, '-s', sock, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await rpc(...args);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

const readyPort = (out: string, nqn: string): string => new RegExp(`trsvcid:(\\d+) subnqn:${nqn.replace(/\./g, '\\.')}`).exec(out)![1]!;

describe('nvme-rpc against nvme-target', () => {
  it("takes rpc.py's arguments and prints as rpc.py does", async () => {
    await startTarget(['-r', sock, '--listen', 'tcp://127.0.0.1:0'], /^rpc: /m);
    expect(await ok('bdev_malloc_create', '-b', 'Malloc7', '64', '512')).toBe('Malloc7\n');
    expect(await ok('nvmf_create_subsystem', NQN2, '-a', '-s', 'SN2', '-d', 'Model2')).toBe('');
    expect(await ok('nvmf_subsystem_add_ns', NQN2, 'Malloc7')).toBe('');
    expect(await ok('nvmf_subsystem_add_listener', NQN2, '-t', 'tcp', '-a', '127.0.0.1', '-s', '0')).toBe('');
    const listeners = JSON.parse(await ok('nvmf_subsystem_get_listeners', NQN2)) as { address: { trsvcid: string } }[];
    const port = listeners[0]!.address.trsvcid;
    const subsystems = await ok('nvmf_get_subsystems', NQN2);
    expect(subsystems).toBe(`${JSON.stringify(JSON.parse(subsystems), null, 2)}\n`);
    expect(JSON.parse(subsystems)).toMatchObject([{ nqn: NQN2, serial_number: 'SN2', model_number: 'Model2', allow_any_host: true, namespaces: [{ nsid: 1, bdev_name: 'Malloc7' }] }]);
    const [bdev] = JSON.parse(await ok('bdev_get_bdevs', '-b', 'Malloc7')) as { num_blocks: number; block_size: number }[];
    expect(bdev).toMatchObject({ num_blocks: 131072, block_size: 512 });
    // The host reaches what the CLI set up.
    const c = await connect(`trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:${port} subnqn:${NQN2}`);
    expect(c.data.sn.trim()).toBe('SN2');
    await c.detach();
    expect(await ok('nvmf_subsystem_allow_any_host', NQN2, '--no-allow-any-host')).toBe('');
    expect(JSON.parse(await ok('nvmf_get_subsystems', NQN2))[0].allow_any_host).toBe(false);
    expect(await ok('nvmf_subsystem_allow_any_host', NQN2, '-e')).toBe('');
    expect(JSON.parse(await ok('nvmf_get_subsystems', NQN2))[0].allow_any_host).toBe(true);
    expect(await ok('nvmf_subsystem_add_listener', 'discovery', '-t', 'tcp', '-a', '127.0.0.1', '-s', port)).toBe('');
    expect(JSON.parse(await ok('nvmf_subsystem_get_listeners', 'nqn.2014-08.org.nvmexpress.discovery'))).toHaveLength(1);
  });

  it('prints the request and the error object as rpc.py does, and exits 1', async () => {
    await startTarget(['-r', sock, '--listen', 'tcp://127.0.0.1:0'], /^rpc: /m);
    const r = await rpc('nvmf_subsystem_add_ns', NQN2, 'NoSuchBdev', '-n', '3');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'request:',
        JSON.stringify({ nqn: NQN2, namespace: { bdev_name: 'NoSuchBdev', nsid: 3 }, method: 'nvmf_subsystem_add_ns', req_id: 1 }, null, 2),
        'Got JSON-RPC error response',
        'response:',
        JSON.stringify({ code: -32602, message: `Invalid parameters: nqn: Unable to find subsystem with NQN ${NQN2}` }, null, 2),
        '',
      ].join('\n'),
    );
    const usage = await rpc('nvmf_subsystem_remove_ns', NQN2, 'one');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^nvme-rpc: .*nsid.*expected an integer/);
    const absent = await rpc('-s', join(dir, 'none.sock'), 'spdk_get_version');
    expect(absent.status).toBe(1);
    expect(absent.stderr).toContain('cannot connect to');
  });

  it('save_config > cfg.json, then nvme-target -c cfg.json serves the same state', async () => {
    const first = await startTarget(['-r', sock, '--listen', 'tcp://127.0.0.1:0', '--nqn', 'nqn.2016-06.io.nvmekit:flags'], /^rpc: /m);
    const port = readyPort(first.stdout(), 'nqn.2016-06.io.nvmekit:flags');
    await ok('bdev_null_create', 'Null1', '16', '4096');
    await ok('nvmf_create_subsystem', NQN2, '-s', 'SN2');
    await ok('nvmf_subsystem_add_ns', NQN2, 'Null1', '-n', '4');
    await ok('nvmf_subsystem_add_host', NQN2, 'nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-0000-0000-0000-000000000001');
    await ok('nvmf_subsystem_add_listener', NQN2, '-t', 'tcp', '-a', '127.0.0.1', '-s', port);
    const saved = await ok('save_config');
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, saved);
    const subsystems = await ok('nvmf_get_subsystems');
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);

    const second = await startTarget(['-r', sock, '-c', cfg], /^rpc: /m);
    expect(second.stdout()).toContain(`ready: trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:${port} subnqn:${NQN2}`);
    expect(await ok('nvmf_get_subsystems')).toBe(subsystems);
    expect(await ok('save_config')).toBe(saved);
  });

  it('--wait-for-rpc holds the set-up until framework_start_init', async () => {
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ subsystems: [{ subsystem: 'bdev', config: [{ method: 'bdev_malloc_create', params: { name: 'Early', num_blocks: 64 } }] }, { subsystem: 'nbd', config: [{ method: 'nbd_start_disk' }] }] }));
    const r = await startTarget(['-r', sock, '--wait-for-rpc', '--config', cfg], /^rpc: /m);
    const refused = await rpc('bdev_get_bdevs');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('"code": -1');
    expect(JSON.parse(await ok('rpc_get_methods', '--current'))).toContain('framework_start_init');
    expect(await ok('framework_start_init')).toBe('');
    expect(JSON.parse(await ok('bdev_get_bdevs'))).toMatchObject([{ name: 'Early' }]);
    expect(r.stderr()).toContain('skipped subsystem nbd (1 call): not supported by this target');
    expect((await rpc('framework_start_init')).status).toBe(1);
  });

  it('refuses a socket another live target owns, and takes over one a killed target left', async () => {
    const first = await startTarget(['-r', sock, '--listen', 'tcp://127.0.0.1:0'], /^rpc: /m);
    expect((statSync(sock).mode & 0o777).toString(8)).toBe('600');
    const second = spawnSync(process.execPath, [TARGET, '-r', sock, '--listen', 'tcp://127.0.0.1:0'], { encoding: 'utf8', timeout: 20_000 });
    expect(second.status).toBe(1);
    expect(second.stderr).toBe(`nvme-target: RPC socket ${sock} is in use by another running target\n`);
    first.child.kill('SIGKILL');
    await first.exit;
    expect(existsSync(sock)).toBe(true);
    await startTarget(['-r', sock, '--listen', 'tcp://127.0.0.1:0'], /^rpc: /m);
    expect(JSON.parse(await ok('spdk_get_version')).version).toMatch(/^nvmekit v/);
  });
});
