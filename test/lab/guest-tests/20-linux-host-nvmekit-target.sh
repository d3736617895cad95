#!/bin/sh
# Linux host -> nvmekit target: the kernel's nvme-tcp host (driven by nvme-cli) against
# `nvme-target --listen tcp://127.0.0.1:4421 --malloc 64M:512`: discover, connect (plain, then with
# header+data digests), Identify Controller as JSON, 8 MiB O_DIRECT write + read-back compare,
# disconnect; the target then stops on SIGTERM with exit status 0 and its log holds no "error".
# lab-timeout: 240
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$REPO" || exit 1
T=$LAB_TEST_OUT
PORT=4421
NQN=nqn.2016-06.io.nvmekit:cnode1

trap kill_target_and_disconnect EXIT
trap 'exit 143' TERM INT

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

must "target listening on 127.0.0.1:$PORT" start_target $PORT --listen tcp://127.0.0.1:$PORT --malloc 64M:512
must "modprobe nvme-tcp" timeout 30 modprobe nvme-tcp
step "nvme discover lists $NQN" kernel_discover tcp 127.0.0.1 $PORT
for mode in plain digests; do
  case $mode in plain) flags=;; digests) flags="-g -G";; esac
  must "nvme connect ($mode)" kernel_connect tcp 127.0.0.1 $PORT $flags
  step "nvme id-ctrl -o json ($mode)" id_ctrl
  case $mode in plain) off=0;; digests) off=24;; esac
  step "dd 8 MiB O_DIRECT write + read-back ($mode)" odirect_roundtrip /dev/$DEV 1048576 8 $off
  must "nvme disconnect ($mode)" kernel_disconnect
done
step "target stops cleanly on SIGTERM" stop_target
step "target log has no errors" target_log_clean
dmesg | grep -i nvme | tail -n 20
finish
