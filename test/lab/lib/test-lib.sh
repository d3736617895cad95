# test-lib.sh -- helpers sourced by the lab tests (guest-tests/*.sh, host-tests/*.sh, tests/selftest-guest.sh).
# POSIX sh (the guest runs dash; every exec of a dynamic binary costs ~70-300 ms under TCG, so the helpers
# stay in shell builtins where they can).
#
# A test is a list of steps. `step NAME CMD...` runs CMD (its output goes to the test's log), prints
#   == [ok] NAME (1.23s)   or   == [FAIL] NAME (rc=1, 1.23s)
# and keeps count; `finish` prints the tally and exits 0 only when every step passed.
# A step that timed out (rc 124/137) or a failed `must` step skips the rest: later steps would only fail
# or hang behind it, and the suite's time budget is shared.
#
# Environment (set by run-suite.sh; sensible defaults when a test is run by hand):
#   LAB_DIR       test/lab            REPO      the repository root
#   LAB_TEST_OUT  this test's artefact directory (logs, captures)
#   LAB_NOTE      file that receives the first failing step's name (shown on the suite's FAIL line)

LAB_DIR=${LAB_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
REPO=${REPO:-$(cd "$LAB_DIR/../.." && pwd)}
LAB_TEST_OUT=${LAB_TEST_OUT:-${TMPDIR:-/tmp}/lab-test.$$}
mkdir -p "$LAB_TEST_OUT"
export LAB_DIR REPO LAB_TEST_OUT

_passes=0 _fails=0 _skips=0 _abort= _first_fail=

now() { read -r _u _ < /proc/uptime; echo "$_u"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# step NAME CMD... -- run one step; returns CMD's status.
step() {
  _name=$1; shift
  if [ -n "$_abort" ]; then
    _skips=$((_skips + 1)); echo "== [skip] $_name ($_abort)"; return 1
  fi
  echo "-- $_name"
  _t0=$(now)
  "$@"
  _rc=$?
  if [ $_rc -eq 0 ]; then
    _passes=$((_passes + 1)); echo "== [ok] $_name ($(elapsed "$_t0")s)"
  else
    _fails=$((_fails + 1))
    [ -n "$_first_fail" ] || _first_fail=$_name
    case $_rc in
      124|137) _abort="after '$_name' timed out"; echo "== [FAIL] $_name (timed out, $(elapsed "$_t0")s)";;
      *) echo "== [FAIL] $_name (rc=$_rc, $(elapsed "$_t0")s)";;
    esac
  fi
  return $_rc
}

# must NAME CMD... -- a step that later steps depend on: when it fails, the rest are skipped.
must() {
  step "$@" && return 0
  _rc=$?
  [ -n "$_abort" ] || _abort="after '$1' failed"
  return $_rc
}

# fail MESSAGE -- print why a check failed and return 1 (use inside step functions).
fail() { echo "FAILED: $*"; return 1; }

# wait_for SECONDS DESCRIPTION CMD... -- poll CMD every 0.1 s until it returns 0.
# CMD returning 2 or more means "this will never succeed" and ends the wait at once.
wait_for() {
  _limit=$1 _desc=$2; shift 2
  _wt0=$(now)
  _ticks=$((_limit * 10))
  while [ $_ticks -gt 0 ]; do
    "$@"; _wrc=$?
    [ $_wrc -eq 0 ] && return 0
    [ $_wrc -ge 2 ] && { echo "FAILED: gave up waiting for $_desc after $(elapsed "$_wt0")s"; return 1; }
    sleep 0.1
    _ticks=$((_ticks - 1))
  done
  echo "FAILED: timed out after ${_limit}s waiting for $_desc"
  return 1
}

# expect_match FILE ERE DESCRIPTION -- the file has a line matching ERE (case-insensitive).
expect_match() {
  grep -Eqi -- "$2" "$1" && return 0
  fail "expected $3 (/$2/) in $(basename "$1")"
}

# need_file PATH HINT -- the file exists (e.g. a build product), or fail with HINT.
need_file() { [ -e "$1" ] || fail "$1 is missing ($2)"; }

# finish -- print the tally, record the first failure for the suite, exit 0 only if all steps passed.
finish() {
  echo "== $(basename "$0"): steps $_passes ok, $_fails failed, $_skips skipped"
  if [ $_fails -gt 0 ] || [ $_skips -gt 0 ] || [ $_passes -eq 0 ]; then
    [ -n "${LAB_NOTE:-}" ] && echo "${_first_fail:-no step ran}" > "$LAB_NOTE"
    exit 1
  fi
  exit 0
}

# built FILE... -- the build products exist.
built() { for _f; do need_file "$_f" "npm run build" || return 1; done; }

# Helpers for tests that run nvmekit's tools. They expect the caller's `cd "$REPO"`; the nvme-target helpers
# keep its pid in TPID and its output in TLOG, and a test's EXIT trap calls kill_target.
DISCOVERY_NQN=nqn.2014-08.org.nvmexpress.discovery
TLOG=$LAB_TEST_OUT/target.log
TPID=

# nvme_identify TRID OUTFILE -- nvme-identify on TRID succeeds; its output is kept in OUTFILE and shown.
nvme_identify() {
  timeout 60 node dist/tools/nvme-identify.js -r "$1" > "$2" 2>&1; _irc=$?
  cat "$2"
  [ $_irc -eq 0 ] || fail "nvme-identify exited with $_irc"
}
# identify_linux_ctrl TRID OUTFILE -- a Linux nvmet controller: model or firmware says "Linux".
identify_linux_ctrl() {
  nvme_identify "$1" "$2" || return 1
  grep -Ei 'model|firmware|^ *(mn|fr) *:' "$2" | grep -q Linux ||
    fail "expected 'Linux' on the model/firmware lines of nvme-identify's output"
}
# discovery_lists TRID NQN -- nvme-identify on TRID's discovery subsystem shows an entry for NQN.
discovery_lists() {
  nvme_identify "$1 subnqn:$DISCOVERY_NQN" "$LAB_TEST_OUT/discovery.txt" &&
    expect_match "$LAB_TEST_OUT/discovery.txt" "$2" "a discovery log entry for $2"
}

# kill_target -- for a test's EXIT trap: the target is killed if it still runs.
kill_target() { [ -z "$TPID" ] || kill -KILL $TPID 2>/dev/null; }

_target_ready() {
  grep -q "^ready: .*trsvcid:$1" "$TLOG" && return 0
  kill -0 $TPID 2>/dev/null || { echo "nvme-target exited before it was ready:"; cat "$TLOG"; return 2; }
  return 1
}
# start_target PORT ARGS... -- nvme-target ARGS in the background; returns once it is ready on PORT.
start_target() {
  _port=$1; shift
  need_file dist/tools/nvme-target.js "npm run build" || return 1
  node dist/tools/nvme-target.js "$@" > "$TLOG" 2>&1 &
  TPID=$!
  wait_for 60 "the target's 'ready:' line" _target_ready "$_port" && grep '^ready:' "$TLOG"
}

not_running() { ! kill -0 "$1" 2>/dev/null; }
# stop_process PID NAME -- SIGTERM, then up to 30 s for it to exit with status 0.
stop_process() {
  kill -TERM "$1" 2>/dev/null || fail "$2 is not running" || return 1
  wait_for 30 "$2 to exit after SIGTERM" not_running "$1" || return 1
  wait "$1"; _src=$?
  [ $_src -eq 0 ] || fail "$2 exited with status $_src after SIGTERM, expected 0"
}
# stop_target -- nvme-target stops cleanly on SIGTERM. TPID stays set while the target still runs.
stop_target() {
  stop_process "$TPID" nvme-target; _trc=$?
  not_running "$TPID" && TPID=
  return $_trc
}
# target_log_clean -- the target's log mentions no error.
target_log_clean() {
  echo "target log: $(wc -l < "$TLOG") lines"
  ! grep -i error "$TLOG" || fail "the target's log mentions an error (lines above)"
}

# Helpers for the kernel's NVMe-oF host (nvme-cli) against subsystem $NQN. No udev in the guest: block
# device nodes come from devtmpfs, so connect polls for them. C and DEV name the connected nvmeX and its
# namespace block device.
ctrl_of_nqn() {  # the nvmeX connected to $NQN, if any
  for _f in /sys/class/nvme/nvme*/subsysnqn; do
    [ -e "$_f" ] || continue
    read -r _n < "$_f"
    [ "$_n" = "$NQN" ] && { _d=${_f%/subsysnqn}; echo "${_d##*/}"; return 0; }
  done
  return 1
}
ns_of_ctrl() {  # the first namespace block device of controller $1 (multipath head or plain disk)
  for _s in /sys/class/nvme-subsystem/*; do
    [ -e "$_s/$1" ] || continue
    for _b in "$_s"/nvme*n*; do [ -e "$_b" ] && { echo "${_b##*/}"; return 0; }; done
  done
  for _b in /sys/class/nvme/$1/nvme*n*; do
    case ${_b##*/} in nvme*c*n*) ;; *) [ -e "$_b" ] && { echo "${_b##*/}"; return 0; };; esac
  done
  return 1
}
found_ns() { C=$(ctrl_of_nqn) && DEV=$(ns_of_ctrl $C) && [ -b /dev/$DEV ]; }
dev_gone() { [ ! -e /dev/$DEV ] && [ ! -e /sys/class/nvme/$C ]; }
# kill_target_and_disconnect -- for a test's EXIT trap: nothing of the kernel host or the target is left.
kill_target_and_disconnect() { kill_target; nvme disconnect -n $NQN >/dev/null 2>&1; }

# kernel_discover TRTYPE ADDR PORT -- nvme discover lists $NQN on TRTYPE at PORT (output in discover.txt).
kernel_discover() {
  timeout 60 nvme discover -t $1 -a $2 -s $3 > "$LAB_TEST_OUT/discover.txt" 2>&1; _drc=$?
  cat "$LAB_TEST_OUT/discover.txt"
  [ $_drc -eq 0 ] || fail "nvme discover exited with $_drc" || return 1
  expect_match "$LAB_TEST_OUT/discover.txt" "subnqn: *$NQN\$" "a discovery log entry for $NQN" &&
    expect_match "$LAB_TEST_OUT/discover.txt" "trtype: *$1" "trtype $1 in the entry" &&
    expect_match "$LAB_TEST_OUT/discover.txt" "trsvcid: *$3\$" "trsvcid $3 in the entry"
}
# kernel_connect TRTYPE ADDR PORT [NVME-CLI FLAGS...] -- connects to $NQN; sets C and DEV.
kernel_connect() {
  _tr=$1 _addr=$2 _port=$3; shift 3
  timeout 60 nvme connect -t $_tr -a $_addr -s $_port -n $NQN "$@"; _crc=$?
  [ $_crc -eq 0 ] || fail "nvme connect -t $_tr $* exited with $_crc" || return 1
  wait_for 30 "a block device for $NQN" found_ns || return 1
  _ctr=$(cat /sys/class/nvme/$C/transport)
  echo "controller $C ($_ctr $(cat /sys/class/nvme/$C/address)), namespace /dev/$DEV"
  [ "$_ctr" = "$_tr" ] || fail "controller $C is on $_ctr, expected $_tr"
}
# kernel_disconnect -- nvme disconnect -n $NQN drops one controller and its block device goes away.
kernel_disconnect() {
  timeout 60 nvme disconnect -n $NQN > "$LAB_TEST_OUT/disconnect.txt" 2>&1; _xrc=$?
  cat "$LAB_TEST_OUT/disconnect.txt"
  [ $_xrc -eq 0 ] || fail "nvme disconnect exited with $_xrc" || return 1
  expect_match "$LAB_TEST_OUT/disconnect.txt" "disconnected 1 controller" "one controller disconnected" &&
    wait_for 30 "/dev/$DEV and $C to go away" dev_gone
}
# odirect_roundtrip DEV BLOCK COUNT FIRST -- COUNT blocks of BLOCK bytes of random data written to DEV
# from block FIRST with O_DIRECT, read back the same way and compared.
odirect_roundtrip() {
  head -c $(($2 * $3)) /dev/urandom > /tmp/pattern || return 1
  timeout 90 dd if=/tmp/pattern of="$1" bs=$2 seek=$4 oflag=direct 2>&1 | tail -n 1
  timeout 90 dd if="$1" of=/tmp/readback bs=$2 skip=$4 count=$3 iflag=direct 2>&1 | tail -n 1
  cmp /tmp/pattern /tmp/readback || fail "$3 blocks of $2 bytes read back from $1 at block $4 differ from what was written"
}
