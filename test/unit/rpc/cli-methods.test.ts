import { describe, expect, it } from 'vitest';
import { CLI_METHODS, formatResult, formatRpcError, setParam } from '../../../src/target/rpc/cli-methods.js';
import { BDEV_METHODS } from '../../../src/target/rpc/methods/bdev.js';
import { frameworkMethods } from '../../../src/target/rpc/methods/framework.js';
import { NVMF_METHODS } from '../../../src/target/rpc/methods/nvmf.js';
import type { RpcMethodTable } from '../../../src/target/rpc/rpc-method.js';
import type { MethodSchema } from '../../../src/target/rpc/rpc-schema.js';

const SERVER = [...frameworkMethods(() => ({}) as RpcMethodTable, () => {}), ...NVMF_METHODS, ...BDEV_METHODS];

/** Whether a dotted parameter path names a parameter the server decodes. */
function hasParam(schema: MethodSchema, path: string): boolean {
  const [head, ...rest] = path.split('.');
  const spec = schema.find((s) => s.name === head);
  if (!spec || spec.ignored) return false;
  return rest.length === 0 || hasParam(spec.fields ?? [], rest.join('.'));
}

/** Parameters the CLI computes (MiB sizes) or reads itself (load_config's file). */
const CLI_ONLY = new Set(['total_size', 'json_conf']);

describe('the nvme-rpc table', () => {
  it('has one entry per server method, and every server method has one', () => {
    expect(CLI_METHODS.map((m) => m.name).sort()).toEqual(SERVER.map((m) => m.name).sort());
  });

  it.each(CLI_METHODS.map((m) => [m.name, m] as const))('%s: every argument fills a parameter the server decodes', (name, m) => {
    const schema = SERVER.find((s) => s.name === name)!.params;
    for (const a of m.args) if (!CLI_ONLY.has(a.param)) expect(hasParam(schema, a.param), `${name} ${a.spec} -> ${a.param}`).toBe(true);
  });

  it("nvmf_create_transport takes every TCP and RDMA option once, with rpc.py's short flags, saying which transport only some are for", () => {
    const args = CLI_METHODS.find((x) => x.name === 'nvmf_create_transport')!.args;
    const params = args.map((a) => a.param);
    expect(new Set(params).size).toBe(params.length);
    const flag = (param: string) => args.find((a) => a.param === param)!;
    expect(flag('max_queue_depth').spec).toMatch(/^-q, --max-queue-depth /);
    expect(flag('max_queue_depth').help).not.toMatch(/only\)$/);
    expect(flag('io_unit_size').spec).toMatch(/^-u, --io-unit-size /);
    expect(flag('num_shared_buffers').help).toMatch(/\(RDMA only\)$/);
    expect(flag('acceptor_backlog').spec).toMatch(/^-l, /);
    expect(flag('c2h_success').help).toMatch(/\(TCP only\)$/);
  });

  it("turns bdev_malloc_create's MiB into blocks as rpc.py does", () => {
    const m = CLI_METHODS.find((x) => x.name === 'bdev_malloc_create')!;
    expect(m.finish!({ total_size: 64, block_size: 4096, name: 'M' })).toEqual({ block_size: 4096, name: 'M', num_blocks: 16384 });
    expect(m.finish!({ total_size: 1.5, block_size: 512 })).toEqual({ block_size: 512, num_blocks: 3072 });
  });
});

describe('printing', () => {
  it('prints dicts as json.dumps(indent=2), strings bare, and nothing for none', () => {
    expect(formatResult('dict', [{ a: 1, b: [] }])).toBe('[\n  {\n    "a": 1,\n    "b": []\n  }\n]');
    expect(formatResult('json', 'Malloc0')).toBe('Malloc0');
    expect(formatResult('json', 3)).toBe('3');
    expect(formatResult('none', true)).toBeNull();
  });

  it("prints errors as rpc.py's JSONRPCException text", () => {
    expect(formatRpcError('bdev_get_bdevs', 1, { name: 'X' }, { code: -19, message: 'No such device' })).toBe(
      'request:\n{\n  "name": "X",\n  "method": "bdev_get_bdevs",\n  "req_id": 1\n}\nGot JSON-RPC error response\nresponse:\n{\n  "code": -19,\n  "message": "No such device"\n}',
    );
  });

  it('sets nested parameters along a dotted path', () => {
    const p: Record<string, unknown> = {};
    setParam(p, 'nqn', 'n');
    setParam(p, 'listen_address.trtype', 'tcp');
    setParam(p, 'listen_address.traddr', '::1');
    expect(p).toEqual({ nqn: 'n', listen_address: { trtype: 'tcp', traddr: '::1' } });
  });
});
