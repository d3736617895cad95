#!/bin/sh
# Linux host -> nvmekit target: the kernel's nvme-tcp host (driven by nvme-cli) against
# `nvme-target --listen tcp://127.0.0.1:4421 --malloc 64M:512`: discover, connect (plain, then with
# header+data digests), Identify Controller as JSON, 8 MiB O_DIRECT write + read-back compare,
# disconnect; the target then stops on SIGTERM with exit status 0 and its log holds no "error".
# No udev in the guest: block device nodes come from devtmpfs, so the test polls for them.
# lab-timeout: 240
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$REPO" || exit 1
T=$LAB_TEST_OUT
PORT=4421
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
  node dist/tools/nvme-target.js --listen tcp://127.0.0.1:$PORT --malloc 64M:512 > "$TLOG" 2>&1 &
  TPID=$!
  wait_for 60 "the target's 'ready:' line" target_ready && grep '^ready:' "$TLOG"
}

discover() {
  timeout 30 nvme discover -t tcp -a 127.0.0.1 -s $PORT > $T/discover.txt 2>&1; rc=$?
  cat $T/discover.txt
  [ $rc -eq 0 ] || fail "nvme discover exited with $rc"
  expect_match $T/discover.txt "subnqn: *$NQN\$" "a discovery log entry for $NQN" &&
    expect_match $T/discover.txt "trsvcid: *$PORT\$" "trsvcid $PORT in the discovery log entry"
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

connect() {  # connect [nvme-cli digest flags]
  timeout 30 nvme connect -t tcp -a 127.0.0.1 -s $PORT -n $NQN "$@"; rc=$?
  [ $rc -eq 0 ] || fail "nvme connect $* exited with $rc" || return 1
  wait_for 20 "a block device for $NQN" found_ns || return 1
  echo "controller $C ($(cat /sys/class/nvme/$C/transport) $(cat /sys/class/nvme/$C/address)), namespace /dev/$DEV"
}

id_ctrl() {
  timeout 30 nvme id-ctrl /dev/$C -o json > $T/id-ctrl.json 2>&1; rc=$?
  [ $rc -eq 0 ] || { cat $T/id-ctrl.json; fail "nvme id-ctrl exited with $rc"; return 1; }
  timeout 30 node -e '
    const [file, nqn] = process.argv.slice(1);
    const id = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const problems = [];
    for (const f of ["mn", "sn"]) if (typeof id[f] !== "string" || !id[f].trim()) problems.push(`${f} is ${JSON.stringify(id[f])}, expected a non-empty string`);
    if (id.subnqn !== nqn) problems.push(`subnqn is ${JSON.stringify(id.subnqn)}, expected ${nqn}`);
    console.log(`mn=${JSON.stringify(id.mn)} sn=${JSON.stringify(id.sn)} fr=${JSON.stringify(id.fr)} subnqn=${id.subnqn}`);
    if (problems.length) { console.log("FAILED: " + problems.join("; ")); process.exit(1); }
  ' $T/id-ctrl.json $NQN
}

dd_roundtrip() {  # dd_roundtrip OFFSET_MIB: 8 MiB of random data written with O_DIRECT, read back, compared
  head -c 8388608 /dev/urandom > /tmp/pattern || return 1
  timeout 60 dd if=/tmp/pattern of=/dev/$DEV bs=1M seek=$1 oflag=direct 2>&1 | tail -n 1
  timeout 60 dd if=/dev/$DEV of=/tmp/readback bs=1M skip=$1 count=8 iflag=direct 2>&1 | tail -n 1
  cmp /tmp/pattern /tmp/readback || fail "data read back from /dev/$DEV at ${1} MiB differs from what was written"
}

dev_gone() { [ ! -e /dev/$DEV ] && [ ! -e /sys/class/nvme/$C ]; }
disconnect() {
  timeout 30 nvme disconnect -n $NQN > $T/disconnect.txt 2>&1; rc=$?
  cat $T/disconnect.txt
  [ $rc -eq 0 ] || fail "nvme disconnect exited with $rc" || return 1
  expect_match $T/disconnect.txt "disconnected 1 controller" "one controller disconnected" &&
    wait_for 20 "/dev/$DEV and $C to go away" dev_gone
}

target_exited() { ! kill -0 $TPID 2>/dev/null; }
stop_target() {
  kill -TERM $TPID 2>/dev/null || fail "the target is no longer running" || return 1
  wait_for 20 "the target to exit after SIGTERM" target_exited || return 1
  wait $TPID; rc=$?; TPID=
  [ $rc -eq 0 ] || fail "the target exited with status $rc after SIGTERM, expected 0"
}
clean_log() {
  echo "target log: $(wc -l < "$TLOG") lines"
  ! grep -i error "$TLOG" || fail "the target's log mentions an error (lines above)"
}

must "target listening on 127.0.0.1:$PORT" start_target
must "modprobe nvme-tcp" timeout 30 modprobe nvme-tcp
step "nvme discover lists $NQN" discover
for mode in plain digests; do
  case $mode in plain) flags=;; digests) flags="-g -G";; esac
  must "nvme connect ($mode)" connect $flags
  step "nvme id-ctrl -o json ($mode)" id_ctrl
  case $mode in plain) off=0;; digests) off=24;; esac
  step "dd 8 MiB O_DIRECT write + read-back ($mode)" dd_roundtrip $off
  must "nvme disconnect ($mode)" disconnect
done
step "target stops cleanly on SIGTERM" stop_target
step "target log has no errors" clean_log
dmesg | grep -i nvme | tail -n 20
finish
