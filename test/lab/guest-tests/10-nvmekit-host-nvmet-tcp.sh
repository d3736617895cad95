#!/bin/sh
# nvmekit host -> Linux nvmet-tcp: the kernel target (guest/nvmet-setup.sh: tcp 127.0.0.1:4420,
# nqn.2024-01.io.lab:sub1, ns1 null_blk, ns2 a 64 MiB file) against nvmekit's host driver:
# nvme-identify on the subsystem and on the discovery subsystem, then host-io.mjs writes, reads and
# verifies 1000 random 4 KiB and 1000 random 128 KiB blocks on ns2, without and with header+data digests.
# lab-timeout: 420
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$REPO" || exit 1
T=$LAB_TEST_OUT
NQN=nqn.2024-01.io.lab:sub1
PORT_TRID="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420"

host_io() {  # host_io SEED [--digests]
  timeout 180 node "$LAB_DIR/guest-tests/host-io.mjs" -r "$PORT_TRID subnqn:$NQN" --nsid 2 --seed "$@"
}

must "nvmekit is built" built dist/src/index.js dist/tools/nvme-identify.js
must "kernel nvmet: $NQN on tcp 127.0.0.1:4420" timeout 60 "$LAB_DIR/guest/nvmet-setup.sh"
step "nvme-identify: controller (model/firmware 'Linux')" identify_linux_ctrl "$PORT_TRID subnqn:$NQN" $T/identify.txt
step "nvme-identify: discovery log lists $NQN" discovery_lists "$PORT_TRID" $NQN
step "host-io: 1000 x 4 KiB + 1000 x 128 KiB, no digests" host_io 1
step "host-io: 1000 x 4 KiB + 1000 x 128 KiB, header+data digests" host_io 2 --digests
dmesg | grep -i nvmet | tail -n 20
finish
