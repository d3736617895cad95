#!/bin/sh
# Linux host -> nvmekit target over NVMe/RDMA on soft-RoCE (guest/rxe-up.sh: rxe0 on the dummy netdev
# lab0, 192.0.2.1/24): `nvme-target --listen rdma://192.0.2.1:4430 --malloc 64M:512`; the kernel's
# nvme-rdma host (nvme-cli) discovers (the entry says rdma with TSAS qptype connected, cms rdma-cm),
# connects, writes 8 MiB with O_DIRECT and reads it back identical, disconnects; the target then stops
# on SIGTERM with status 0 and its log holds no "error". While the host is connected and idle the target
# uses little CPU (completion channels, no polling). Also: a listener on an address whose netdev has no
# RDMA device (a second dummy netdev, lab1) fails with one clear line.
# lab-timeout: 300
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$REPO" || exit 1
T=$LAB_TEST_OUT
ADDR=192.0.2.1
PORT=4430
NQN=nqn.2016-06.io.nvmekit:cnode1

trap kill_target_and_disconnect EXIT
trap 'exit 143' TERM INT

discover() {
  kernel_discover rdma $ADDR $PORT &&
    expect_match $T/discover.txt "rdma_qptype: *connected" "TSAS RDMA QPTYPE reliable connected" &&
    expect_match $T/discover.txt "rdma_cms: *rdma-cm" "TSAS RDMA CMS rdma_cm"
}
clean_log() {
  grep -c 'accepted: qid' "$TLOG" | sed 's/^/queue pairs accepted: /'
  target_log_clean
}
cpu_ticks() { awk '{ print $14 + $15 }' /proc/$TPID/stat; }
idle_cpu() {  # the connected, idle target: under half a core over 5 s (a polling loop takes a whole one)
  a=$(cpu_ticks); sleep 5; b=$(cpu_ticks)
  hz=$(getconf CLK_TCK)
  echo "target CPU while idle: $((b - a)) ticks in 5 s at $hz Hz"
  [ $((b - a)) -lt $((hz * 5 / 2)) ] || fail "the idle target used $((b - a)) ticks of CPU in 5 s"
}
no_device() {
  ip link show lab1 >/dev/null 2>&1 || { ip link add lab1 type dummy && ip addr add 198.51.100.1/24 dev lab1 && ip link set lab1 up; } || return 1
  timeout 60 node dist/tools/nvme-target.js --listen rdma://198.51.100.1:$PORT -r /tmp/nvmekit-rdma50b.sock > $T/nodev.txt 2>&1 && fail "nvme-target listened on rdma://198.51.100.1"
  cat $T/nodev.txt
  expect_match $T/nodev.txt 'no RDMA device has this address' "the reason" &&
    [ "$(wc -l < $T/nodev.txt)" -eq 1 ] || fail "expected one line"
}

must "nvmekit is built" built dist/tools/nvme-target.js
must "soft-RoCE rxe0 on lab0 ($ADDR)" timeout 60 "$LAB_DIR/guest/rxe-up.sh"
must "modprobe nvme-rdma" timeout 30 modprobe nvme-rdma
must "target listening on rdma://$ADDR:$PORT" \
  start_target $PORT --listen rdma://$ADDR:$PORT --malloc 64M:512 -r /tmp/nvmekit-rdma50.sock -v
step "nvme discover -t rdma lists $NQN with the RDMA TSAS" discover
must "nvme connect -t rdma" kernel_connect rdma $ADDR $PORT
step "dd 8 MiB O_DIRECT write + read-back (keyed SGLs: RDMA READ / WRITE)" odirect_roundtrip /dev/$DEV 1048576 8 0
step "dd 1 MiB in 4 KiB O_DIRECT blocks (in-capsule writes)" odirect_roundtrip /dev/$DEV 4096 256 4096
step "connected and idle: the target sleeps" idle_cpu
must "nvme disconnect" kernel_disconnect
step "target stops cleanly on SIGTERM" stop_target
step "target log has no errors" clean_log
step "rdma://198.51.100.1 (a netdev without RDMA): one clear line" no_device
dmesg | grep -i -E 'nvme|rdma' | tail -n 20
finish
