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
