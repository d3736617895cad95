#!/bin/sh
# nvmekit host -> Linux nvmet-rdma over soft-RoCE (guest/rxe-up.sh: rxe0 on the dummy netdev lab0,
# 192.0.2.1/24; guest/nvmet-setup.sh adds the rdma port 192.0.2.1:4420 to nqn.2024-01.io.lab:sub1):
# nvme-identify on the subsystem and on the discovery subsystem, host-io.mjs writes, reads and verifies
# 1000 random 4 KiB and 1000 random 128 KiB blocks on ns2, nvme-perf randrw 70/30 at QD 32 on both
# namespaces, then with --verify on ns2, and the clear errors for a port nobody listens on and for an
# address with no RDMA device behind it (loopback).
# lab-timeout: 420
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$REPO" || exit 1
T=$LAB_TEST_OUT
NQN=nqn.2024-01.io.lab:sub1
PORT_TRID="trtype:RDMA adrfam:IPv4 traddr:192.0.2.1 trsvcid:4420"

identify_ctrl() {
  identify_linux_ctrl "$PORT_TRID subnqn:$NQN" $T/identify.txt &&
    expect_match $T/identify.txt 'NVMeoF Controller at RDMA' "the RDMA controller banner"
}
host_io() {  # host_io SEED
  timeout 240 node "$LAB_DIR/guest-tests/host-io.mjs" -r "$PORT_TRID subnqn:$NQN" --nsid 2 --seed "$1"
}
perf() {  # perf OUTFILE NVME-PERF-ARGS...: exits 0 and reports an RDMA total
  _out=$1; shift
  timeout -s KILL 90 node dist/tools/nvme-perf.js "$@" > "$_out" 2>&1; rc=$?
  tail -n 8 "$_out"
  [ $rc -eq 0 ] || fail "nvme-perf exited with $rc"
  expect_match "$_out" '^RDMA .*NSID' "a per-namespace RDMA line" && expect_match "$_out" '^Total' "the Total line"
}
refused() {  # refused TRID OUTFILE PATTERN: nvme-identify must fail, saying PATTERN
  timeout 60 node dist/tools/nvme-identify.js -r "$1" > "$2" 2>&1 && fail "nvme-identify succeeded on $1"
  cat "$2"
  expect_match "$2" "$3" "the reason"
}

must "nvmekit is built" built dist/src/index.js dist/tools/nvme-identify.js
must "soft-RoCE rxe0 on lab0 (192.0.2.1)" timeout 60 "$LAB_DIR/guest/rxe-up.sh"
must "kernel nvmet: $NQN on rdma 192.0.2.1:4420" timeout 60 "$LAB_DIR/guest/nvmet-setup.sh"
step "nvme-identify over RDMA: controller (model/firmware 'Linux')" identify_ctrl
step "nvme-identify over RDMA: discovery log lists $NQN" discovery_lists "$PORT_TRID" $NQN
step "host-io over RDMA: 1000 x 4 KiB + 1000 x 128 KiB" host_io 1
step "nvme-perf over RDMA: -q 32 -o 4096 -w randrw -M 70 -t 3" \
  perf $T/perf.txt -q 32 -o 4096 -w randrw -M 70 -t 3 -r "$PORT_TRID subnqn:$NQN"
step "nvme-perf over RDMA: 128 KiB randrw --verify on ns2" \
  perf $T/perf-verify.txt -q 8 -o 131072 -w randrw -M 50 -t 3 --verify -r "$PORT_TRID subnqn:$NQN ns:2"
step "no listener on 192.0.2.1:4421: connection refused" \
  refused "trtype:RDMA adrfam:IPv4 traddr:192.0.2.1 trsvcid:4421 subnqn:$NQN" $T/refused.txt 'refused'
step "127.0.0.1 has no RDMA device: says so" \
  refused "trtype:RDMA adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:$NQN" $T/nodev.txt 'no RDMA device'
dmesg | grep -i 'nvmet' | tail -n 20
finish
