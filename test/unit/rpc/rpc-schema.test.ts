import { describe, expect, it } from 'vitest';
import { RpcError } from '../../../src/target/rpc/rpc-errors.js';
import { decodeParams, type MethodSchema } from '../../../src/target/rpc/rpc-schema.js';

const SCHEMA: MethodSchema = [
  { name: 'nqn', type: 'string', required: true },
  { name: 'allow_any_host', type: 'boolean', default: false },
  { name: 'max_namespaces', type: 'integer', min: 0, max: 1024 },
  { name: 'zcopy', type: 'boolean', ignored: true },
  {
    name: 'listen_address',
    type: 'object',
    fields: [
      { name: 'trtype', type: 'string', required: true, values: ['TCP', 'RDMA'] },
      { name: 'trsvcid', type: 'string', check: (v: string) => (/^\d+$/.test(v) ? null : 'a port number') },
    ],
  },
];

function failure(params: unknown): { code: number; message: string } {
  try {
    decodeParams(SCHEMA, params);
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return { code: (err as RpcError).code, message: (err as RpcError).message };
  }
  throw new Error('decoded without error');
}

describe('decodeParams', () => {
  it('fills defaults, normalises enumerated strings and drops ignored parameters', () => {
    expect(decodeParams(SCHEMA, { nqn: 'n', zcopy: true, listen_address: { trtype: 'tcp', trsvcid: '4420' } })).toEqual({
      nqn: 'n',
      allow_any_host: false,
      listen_address: { trtype: 'TCP', trsvcid: '4420' },
    });
  });

  it.each([
    [{}, 'Invalid parameters: nqn: missing required parameter'],
    [{ nqn: 1 }, 'Invalid parameters: nqn: expected a string, got 1'],
    [{ nqn: 'n', frob: 1 }, 'Invalid parameters: frob: unknown parameter'],
    [{ nqn: 'n', max_namespaces: 1.5 }, 'Invalid parameters: max_namespaces: expected an integer, got 1.5'],
    [{ nqn: 'n', max_namespaces: 2000 }, 'Invalid parameters: max_namespaces: expected an integer from 0 to 1024, got 2000'],
    [{ nqn: 'n', zcopy: 'yes' }, 'Invalid parameters: zcopy: expected a boolean, got "yes"'],
    [{ nqn: 'n', listen_address: {} }, 'Invalid parameters: listen_address.trtype: missing required parameter'],
    [{ nqn: 'n', listen_address: { trtype: 'FC' } }, 'Invalid parameters: listen_address.trtype: expected one of TCP, RDMA, got "FC"'],
    [{ nqn: 'n', listen_address: { trtype: 'TCP', trsvcid: 'x' } }, 'Invalid parameters: listen_address.trsvcid: expected a port number, got "x"'],
    [[1, 2], 'Invalid parameters: params: expected an object, got [1,2]'],
  ])('rejects %j with -32602 naming the parameter', (params, message) => {
    expect(failure(params)).toEqual({ code: -32602, message });
  });

  it('treats absent params as an empty object', () => {
    expect(decodeParams([{ name: 'current', type: 'boolean', default: false }], undefined)).toEqual({ current: false });
  });
});
