/**
 * A client written in Python with the standard library only (test/rpc_client.py)
 * sets up a bdev, subsystem, namespace and listener over the socket; nvmekit's
 * host then reads and writes through them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { startRpcTarget, trid, type RpcTarget } from './rpc-fixture.js';

const CLIENT = fileURLToPath(new URL('../rpc_client.py', import.meta.url));
const HAS_PYTHON = spawnSync('python3', ['--version']).status === 0;
const NQN = 'nqn.2016-06.io.nvmekit:python';

let t: RpcTarget;
beforeEach(async () => {
  t = await startRpcTarget();
});
afterEach(async () => {
  await t.close();
});

/** Runs the Python client without blocking the event loop the target runs on. */
function runPython(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('python3', [CLIENT, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

it.skipIf(!HAS_PYTHON)('a Python stdlib client sets up the target; the host reads and writes through it', async () => {
  const r = await runPython([t.socketPath, NQN]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const made = JSON.parse(r.stdout) as { bdev: string; nsid: number; trsvcid: string };
  expect(made).toEqual({ bdev: 'Malloc0', nsid: 1, trsvcid: expect.stringMatching(/^\d+$/) });

  const ctrlr = await connect(trid(made.trsvcid, NQN));
  expect(ctrlr.data.sn.trim()).toBe('PY0001');
  const qp = await ctrlr.allocIoQpair();
  const data = Buffer.alloc(8192);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  await qp.writeAsync(made.nsid, 100, 16, data);
  const back = Buffer.alloc(8192);
  await qp.readAsync(made.nsid, 100, 16, back);
  expect(back.equals(data)).toBe(true);
  await ctrlr.detach();

  // A second run fails on the existing subsystem, and says so.
  const again = await runPython([t.socketPath, NQN]);
  expect(again.status).toBe(1);
  expect(again.stderr).toContain('nvmf_create_subsystem: -32602 Invalid parameters: nqn: subsystem nqn.2016-06.io.nvmekit:python already exists');
});
