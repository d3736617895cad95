#!/bin/sh
# nvmekit host -> nvmekit target over NVMe/RDMA on soft-RoCE (guest/rxe-up.sh: rxe0 on lab0, 192.0.2.1):
# `nvme-target --listen rdma://192.0.2.1:4431 --malloc 64M:512 --malloc 64M:4096`, then nvme-perf randrw
# 70/30 at QD 32 with 4 KiB I/O on both namespaces (polled queue pairs), the same with --verify, 128 KiB
# I/O with --verify (keyed SGLs at max_io_size), and 4 KiB with -E (completion-channel event mode);
# each with no error and an RDMA total. Between them, rdma-connect-probe.mjs plays a bad host whose
# connect requests the target must reject (RECFMT, QID above its limit, HSQSIZE above max_queue_depth,
# HRQSIZE too small), each with the right NVMe/RDMA status, and an nvme-perf killed with SIGKILL in
# mid-I/O, whose queue pairs the target must close; the target keeps serving both. It stops on SIGTERM
# with status 0 and logs no error.
# lab-timeout: 600
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$REPO" || exit 1
T=$LAB_TEST_OUT
ADDR=192.0.2.1
PORT=4431
NQN=nqn.2016-06.io.nvmekit:cnode1
TRID="trtype:RDMA adrfam:IPv4 traddr:$ADDR trsvcid:$PORT subnqn:$NQN"

trap kill_target EXIT
trap 'exit 143' TERM INT

perf() {  # perf OUTFILE NVME-PERF-ARGS...: exits 0, no error line, an RDMA line per namespace and a Total
  _out=$1; shift
  timeout -s KILL 150 node dist/tools/nvme-perf.js "$@" > "$_out" 2>&1; rc=$?
  tail -n 8 "$_out"
  [ $rc -eq 0 ] || fail "nvme-perf exited with $rc" || return 1
  ! grep -i -E 'error|fail' "$_out" || fail "nvme-perf reported an error (lines above)" || return 1
  expect_match "$_out" '^RDMA .*NSID' "a per-namespace RDMA line" && expect_match "$_out" '^Total' "the Total line"
}

io_queues_open() { [ "$(grep -c 'accepted: qid [1-9]' "$TLOG")" -gt "$1" ]; }
host_killed() {  # nvme-perf killed with SIGKILL mid-run: the target closes its queue pairs and goes on
  before=$(grep -c 'accepted: qid [1-9]' "$TLOG")
  closed_before=$(grep -c 'closed:' "$TLOG")
  node dist/tools/nvme-perf.js -q 32 -o 4096 -w randrw -M 70 -t 60 -r "$TRID ns:1" > $T/perf-killed.txt 2>&1 &
  ppid=$!
  wait_for 90 "the perf I/O queue to connect" io_queues_open "$before" || { kill -KILL $ppid; return 1; }
  sleep 3
  kill -KILL $ppid; wait $ppid 2>/dev/null
  wait_for 30 "the target to close the dead host's queue pairs" closed_more "$closed_before" || return 1
  grep 'closed:' "$TLOG" | tail -n 2
  kill -0 $TPID 2>/dev/null || fail "the target died"
}
closed_more() { [ "$(grep -c 'closed:' "$TLOG")" -ge $(($1 + 2)) ]; }

bad_host() {
  timeout 120 node "$LAB_DIR/guest-tests/rdma-connect-probe.mjs" $ADDR $PORT 4 128; rc=$?
  [ $rc -eq 0 ] || fail "rdma-connect-probe exited with $rc" || return 1
  kill -0 $TPID 2>/dev/null || fail "the target died"
}

clean_log() {
  echo "queue pairs accepted: $(grep -c 'accepted: qid' "$TLOG")"
  grep 'connect request rejected' "$TLOG"
  target_log_clean
}

must "nvmekit is built" built dist/tools/nvme-perf.js
must "soft-RoCE rxe0 on lab0 ($ADDR)" timeout 60 "$LAB_DIR/guest/rxe-up.sh"
must "target listening on rdma://$ADDR:$PORT" start_target $PORT --listen rdma://$ADDR:$PORT \
  --malloc 64M:512 --malloc 64M:4096 --max-io-qpairs-per-ctrlr 4 -r /tmp/nvmekit-rdma60.sock -v
step "nvme-perf -q 32 -o 4096 -w randrw -M 70 -t 3 (both namespaces)" \
  perf $T/perf.txt -q 32 -o 4096 -w randrw -M 70 -t 3 -r "$TRID"
step "nvme-perf ... --verify (both namespaces)" \
  perf $T/perf-verify.txt -q 32 -o 4096 -w randrw -M 70 -t 3 --verify -r "$TRID"
step "nvme-perf 128 KiB randrw --verify on ns 2" \
  perf $T/perf-128k.txt -q 8 -o 131072 -w randrw -M 50 -t 3 --verify -r "$TRID ns:2"
step "bad connect requests are rejected with the NVMe/RDMA status" bad_host
step "host killed in mid-I/O: its queue pairs close, the target goes on" host_killed
step "nvme-perf -E (event mode) -q 32 -o 4096 randrw, after the bad and the dead host" \
  perf $T/perf-event.txt -q 32 -o 4096 -w randrw -M 70 -t 3 -E -r "$TRID"
step "target stops cleanly on SIGTERM" stop_target
step "target log has no errors" clean_log
finish
