#!/bin/sh
# Wireshark's NVMe/TCP dissector reads nvmekit's traffic cleanly (host side, no VM; needs root to capture).
# nvme-target listens on a free loopback port; dumpcap records that port while nvme-identify and
# host-io.mjs (a few 4 KiB and 128 KiB blocks, without and with header+data digests) talk to it; then
# tshark must decode every PDU type of a write/read exchange (with R2T/H2CData for the 128 KiB writes),
# the Fabrics and NVMe commands, verify every header and data digest, and flag nothing as malformed or
# as an error. The capture is kept in test/lab/out/host/tshark-dissect/ for a look with Wireshark.
# lab-timeout: 240
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$REPO" || exit 1
T=$LAB_TEST_OUT
PCAP=$T/nvme-tcp.pcapng
NQN=nqn.2016-06.io.nvmekit:cnode1
CPID=

cleanup() { kill_target; [ -z "$CPID" ] || kill -KILL $CPID 2>/dev/null; }
trap cleanup EXIT
trap 'exit 143' TERM INT

free_port() {
  PORT=$(timeout 30 node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })') &&
    [ -n "$PORT" ] && echo "port $PORT" && TRID="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN"
}

capture_ready() {
  grep -q "Capturing on" $T/dumpcap.log && return 0
  kill -0 $CPID 2>/dev/null || { cat $T/dumpcap.log; return 2; }
  return 1
}
start_capture() {
  dumpcap -i lo -f "tcp port $PORT" -w "$PCAP" -q > $T/dumpcap.log 2>&1 &
  CPID=$!
  wait_for 30 "dumpcap to start capturing" capture_ready
}

identify() { timeout 60 node dist/tools/nvme-identify.js -r "$TRID"; }
host_io() { timeout 120 node "$LAB_DIR/guest-tests/host-io.mjs" -r "$TRID" --nsid 1 --count 16 --qd 4 --seed "$@"; }

stop_all() {
  stop_target; trc=$?
  stop_process $CPID dumpcap; crc=$?
  not_running "$CPID" && CPID=
  [ $trc -eq 0 ] && [ $crc -eq 0 ] && ls -l "$PCAP"
}

ts() {  # ts ARGS...: tshark on the capture, the target's port decoded as NVMe/TCP, digests verified
  timeout 120 tshark -n -r "$PCAP" -d tcp.port==$PORT,nvme-tcp \
    -o nvme-tcp.check_hdgst:TRUE -o nvme-tcp.check_ddgst:TRUE "$@" 2>>$T/tshark.stderr
}
frames() { ts -Y "$1" -T fields -e frame.number | grep -c .; }
expect_frames() {  # expect_frames FILTER DESCRIPTION: at least one frame matches
  n=$(frames "$1")
  echo "$n frames: $2 ($1)"
  [ "$n" -gt 0 ] || fail "no frame shows $2"
}
expect_none() {  # expect_none FILTER DESCRIPTION
  ts -Y "$1" > $T/unexpected.txt
  n=$(grep -c . $T/unexpected.txt)
  echo "$n frames: $2 ($1)"
  [ "$n" -eq 0 ] || { head -n 20 $T/unexpected.txt; fail "$n frames show $2"; }
}

pdu_types() {
  ts -Y nvme-tcp -T fields -e nvme-tcp.type | tr ',' '\n' | sort -n | uniq -c > $T/pdu-types.txt
  cat $T/pdu-types.txt
  ok=0
  # ICReq ICResp CapsuleCommand CapsuleResponse H2CData C2HData R2T (H2CData/R2T: 128 KiB exceeds in-capsule data)
  for t in 0 1 4 5 6 7 9; do
    awk -v t=$t '$2 == t { f = 1 } END { exit !f }' $T/pdu-types.txt || { fail "no PDU of type $t"; ok=1; }
  done
  for t in 2 3; do  # H2CTermReq / C2HTermReq: a fatal transport error
    awk -v t=$t '$2 == t { f = 1 } END { exit !f }' $T/pdu-types.txt && { fail "a termination request PDU (type $t)"; ok=1; }
  done
  return $ok
}
commands() {
  expect_frames "nvme.fabrics.cmd.fctype == 0x01" "Fabrics Connect" &&
    expect_frames "nvme.fabrics.cmd.fctype == 0x04" "Fabrics Property Get" &&
    expect_frames "nvme-tcp.type == 4 && nvme-tcp.cmd.qid == 0 && nvme.cmd.opc == 0x06" "Identify on the admin queue" &&
    expect_frames "nvme-tcp.type == 4 && nvme-tcp.cmd.qid > 0 && nvme.cmd.opc == 0x01" "Write on an I/O queue" &&
    expect_frames "nvme-tcp.type == 4 && nvme-tcp.cmd.qid > 0 && nvme.cmd.opc == 0x02" "Read on an I/O queue"
}
digests() {
  expect_frames "nvme-tcp.icreq.digest == 3" "an ICReq asking for header+data digests" &&
    expect_frames "nvme-tcp.icresp.digest == 3" "an ICResp granting header+data digests" &&
    expect_frames "nvme-tcp.hdgst.status == 1" "a verified header digest" &&
    expect_frames "nvme-tcp.ddgst.status == 1" "a verified data digest" &&
    expect_none "nvme-tcp.hdgst.status == 0 || nvme-tcp.ddgst.status == 0" "a wrong digest"
}
# tshark 4.0's NVMe dissector trips an internal assertion ("Unregistered hf") on some Get Features
# completions, SPDK's own capture included (shared/vectors/README.md): a dissector bug, not a malformed
# PDU. Those frames are counted and shown, and every other malformed or error-level frame still fails.
DISSECTOR_BUG='_ws.expert.message contains "Unregistered hf"'
clean() {
  echo "$(ts -Y "$DISSECTOR_BUG" | grep -c .) frames hit tshark's known 'Unregistered hf' dissector bug (not counted)"
  expect_none "(_ws.malformed || _ws.expert.severity == error) && !($DISSECTOR_BUG)" "a malformed packet or an error-level expert note" &&
    expect_none "nvme-tcp.unknown_data" "data the dissector could not match to a command"
}

must "nvmekit is built" built dist/src/index.js dist/tools/nvme-target.js
must "free loopback port" free_port
must "dumpcap on lo, tcp port $PORT" start_capture
must "nvme-target listening on 127.0.0.1:$PORT" start_target $PORT --listen tcp://127.0.0.1:$PORT --malloc 64M:512
step "nvme-identify" identify
step "host-io, no digests" host_io 3
step "host-io, header+data digests" host_io 4 --digests
must "stop nvme-target and dumpcap" stop_all
step "target log has no errors" target_log_clean
step "tshark: NVMe/TCP PDU types" pdu_types
step "tshark: Fabrics and NVMe commands" commands
step "tshark: digests negotiated and verified" digests
step "tshark: nothing malformed" clean
finish
