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
TLOG=$T/target.log
TPID=

cleanup() {
  [ -n "$TPID" ] && kill -KILL $TPID 2>/dev/null
  nvme disconnect -n $NQN >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 143' TERM INT

target_ready() {
  grep -q "^ready: .*trsvcid:$PORT" "$TLOG" && return 0
  kill -0 $TPID 2>/dev/null || { echo "nvme-target exited before it was ready:"; cat "$TLOG"; return 2; }
  return 1
}
start_target() {
  need_file dist/tools/nvme-target.js "npm run build" || return 1
  node dist/tools/nvme-target.js --listen rdma://$ADDR:$PORT --malloc 64M:512 -r /tmp/nvmekit-rdma50.sock -v > "$TLOG" 2>&1 &
  TPID=$!
  wait_for 60 "the target's 'ready:' line" target_ready && grep '^ready:' "$TLOG"
}

discover() {
  timeout 60 nvme discover -t rdma -a $ADDR -s $PORT > $T/discover.txt 2>&1; rc=$?
  cat $T/discover.txt
  [ $rc -eq 0 ] || fail "nvme discover exited with $rc" || return 1
  expect_match $T/discover.txt "subnqn: *$NQN\$" "a discovery log entry for $NQN" &&
    expect_match $T/discover.txt "trtype: *rdma" "trtype rdma in the entry" &&
    expect_match $T/discover.txt "trsvcid: *$PORT\$" "trsvcid $PORT in the entry" &&
    expect_match $T/discover.txt "rdma_qptype: *connected" "TSAS RDMA QPTYPE reliable connected" &&
    expect_match $T/discover.txt "rdma_cms: *rdma-cm" "TSAS RDMA CMS rdma_cm"
}

ctrl_of_nqn() {  # the nvmeX connected to $NQN, if any
  for f in /sys/class/nvme/nvme*/subsysnqn; do
    [ -e "$f" ] || continue
    read -r n < "$f"
    [ "$n" = "$NQN" ] && { d=${f%/subsysnqn}; echo "${d##*/}"; return 0; }
  done
  return 1
}
ns_of_ctrl() {  # the first namespace block device of controller $1 (multipath head or plain disk)
  for s in /sys/class/nvme-subsystem/*; do
    [ -e "$s/$1" ] || continue
    for b in "$s"/nvme*n*; do [ -e "$b" ] && { echo "${b##*/}"; return 0; }; done
  done
  for b in /sys/class/nvme/$1/nvme*n*; do
    case ${b##*/} in nvme*c*n*) ;; *) [ -e "$b" ] && { echo "${b##*/}"; return 0; };; esac
  done
  return 1
}
found_ns() { C=$(ctrl_of_nqn) && DEV=$(ns_of_ctrl $C) && [ -b /dev/$DEV ]; }

connect() {
  timeout 60 nvme connect -t rdma -a $ADDR -s $PORT -n $NQN; rc=$?
  [ $rc -eq 0 ] || fail "nvme connect -t rdma exited with $rc" || return 1
  wait_for 30 "a block device for $NQN" found_ns || return 1
  echo "controller $C ($(cat /sys/class/nvme/$C/transport) $(cat /sys/class/nvme/$C/address)), namespace /dev/$DEV"
  [ "$(cat /sys/class/nvme/$C/transport)" = rdma ] || fail "controller $C is not on rdma"
}

dd_roundtrip() {  # 8 MiB of random data written with O_DIRECT, read back, compared
  head -c 8388608 /dev/urandom > /tmp/pattern || return 1
  timeout 90 dd if=/tmp/pattern of=/dev/$DEV bs=1M oflag=direct 2>&1 | tail -n 1
  timeout 90 dd if=/dev/$DEV of=/tmp/readback bs=1M count=8 iflag=direct 2>&1 | tail -n 1
  cmp /tmp/pattern /tmp/readback || fail "data read back from /dev/$DEV differs from what was written"
}
small_io() {  # 4 KiB writes go in the capsule (in_capsule_data_size 4096): 256 of them, then read back
  head -c 1048576 /dev/urandom > /tmp/pattern4k || return 1
  timeout 90 dd if=/tmp/pattern4k of=/dev/$DEV bs=4k seek=4096 oflag=direct 2>&1 | tail -n 1
  timeout 90 dd if=/dev/$DEV of=/tmp/readback4k bs=4k skip=4096 count=256 iflag=direct 2>&1 | tail -n 1
  cmp /tmp/pattern4k /tmp/readback4k || fail "4 KiB blocks read back from /dev/$DEV differ from what was written"
}

dev_gone() { [ ! -e /dev/$DEV ] && [ ! -e /sys/class/nvme/$C ]; }
disconnect() {
  timeout 60 nvme disconnect -n $NQN > $T/disconnect.txt 2>&1; rc=$?
  cat $T/disconnect.txt
  [ $rc -eq 0 ] || fail "nvme disconnect exited with $rc" || return 1
  expect_match $T/disconnect.txt "disconnected 1 controller" "one controller disconnected" &&
    wait_for 30 "/dev/$DEV and $C to go away" dev_gone
}

target_exited() { ! kill -0 $TPID 2>/dev/null; }
stop_target() {
  kill -TERM $TPID 2>/dev/null || fail "the target is no longer running" || return 1
  wait_for 30 "the target to exit after SIGTERM" target_exited || return 1
  wait $TPID; rc=$?; TPID=
  [ $rc -eq 0 ] || fail "the target exited with status $rc after SIGTERM, expected 0"
}
clean_log() {
  echo "target log: $(wc -l < "$TLOG") lines"
  grep -c 'accepted: qid' "$TLOG" | sed 's/^/queue pairs accepted: /'
  ! grep -i error "$TLOG" || fail "the target's log mentions an error (lines above)"
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

must "nvmekit is built" need_file dist/tools/nvme-target.js "npm run build"
must "soft-RoCE rxe0 on lab0 ($ADDR)" timeout 60 "$LAB_DIR/guest/rxe-up.sh"
must "modprobe nvme-rdma" timeout 30 modprobe nvme-rdma
must "target listening on rdma://$ADDR:$PORT" start_target
step "nvme discover -t rdma lists $NQN with the RDMA TSAS" discover
must "nvme connect -t rdma" connect
step "dd 8 MiB O_DIRECT write + read-back (keyed SGLs: RDMA READ / WRITE)" dd_roundtrip
step "dd 1 MiB in 4 KiB O_DIRECT blocks (in-capsule writes)" small_io
step "connected and idle: the target sleeps" idle_cpu
must "nvme disconnect" disconnect
step "target stops cleanly on SIGTERM" stop_target
step "target log has no errors" clean_log
step "rdma://198.51.100.1 (a netdev without RDMA): one clear line" no_device
dmesg | grep -i -E 'nvme|rdma' | tail -n 20
finish
