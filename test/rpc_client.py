#!/usr/bin/env python3
"""A JSON-RPC client for nvme-target written with the Python standard library
only (socket + json), as SPDK's rpc.py talks to nvmf_tgt: proof that a non-JS
client can drive the target.

    python3 test/rpc_client.py SOCKET NQN

Creates a 32 MiB malloc bdev, the TCP transport (when there is none), the
subsystem NQN (any host) with the bdev as namespace 1, and a listener on
127.0.0.1 with a port the system picks; prints one JSON object:
{"bdev": ..., "nsid": ..., "trsvcid": ...}. Exits 1 with the error on stderr
if a call fails.
"""
import json
import socket
import sys


class RpcError(Exception):
    def __init__(self, method, error):
        super().__init__('%s: %d %s' % (method, error['code'], error['message']))


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.decoder = json.JSONDecoder()
        self.buf = ''
        self.next_id = 1

    def call(self, method, params=None):
        request = {'jsonrpc': '2.0', 'method': method, 'id': self.next_id}
        self.next_id += 1
        if params is not None:
            request['params'] = params
        self.sock.sendall(json.dumps(request).encode())
        reply = self._receive()
        if reply.get('id') != request['id']:
            raise RuntimeError('reply id %r for request %r' % (reply.get('id'), request['id']))
        if 'error' in reply:
            raise RpcError(method, reply['error'])
        return reply['result']

    def _receive(self):
        # Replies come back to back with no delimiter: decode one whole value.
        while True:
            text = self.buf.lstrip()
            if text:
                try:
                    value, end = self.decoder.raw_decode(text)
                    self.buf = text[end:]
                    return value
                except ValueError:
                    pass
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError('connection closed by the target')
            self.buf += chunk.decode()

    def close(self):
        self.sock.close()


def main():
    path, nqn = sys.argv[1], sys.argv[2]
    rpc = Client(path)
    try:
        bdev = rpc.call('bdev_malloc_create', {'num_blocks': 65536, 'block_size': 512})
        if not rpc.call('nvmf_get_transports'):
            rpc.call('nvmf_create_transport', {'trtype': 'TCP'})
        rpc.call('nvmf_create_subsystem', {'nqn': nqn, 'allow_any_host': True, 'serial_number': 'PY0001'})
        nsid = rpc.call('nvmf_subsystem_add_ns', {'nqn': nqn, 'namespace': {'bdev_name': bdev}})
        rpc.call('nvmf_subsystem_add_listener', {
            'nqn': nqn,
            'listen_address': {'trtype': 'TCP', 'adrfam': 'IPv4', 'traddr': '127.0.0.1', 'trsvcid': '0'},
        })
        listeners = rpc.call('nvmf_subsystem_get_listeners', {'nqn': nqn})
    except RpcError as err:
        print(err, file=sys.stderr)
        return 1
    finally:
        rpc.close()
    print(json.dumps({'bdev': bdev, 'nsid': nsid, 'trsvcid': listeners[0]['address']['trsvcid']}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
