#!/bin/sh
# run-suite.sh TESTDIR OUTDIR [PATTERN...]  -- run the lab tests in TESTDIR, one after the other.
# run-suite.sh --budget TESTDIR [PATTERN...] -- print the sum of the selected tests' time limits (s).
#
# A test is TESTDIR/*.sh (run with sh) or TESTDIR/*.test.mjs (run with node); other files there are
# helpers. Tests run in name order, each under `timeout` with the limit from a `# lab-timeout: N` or
# `// lab-timeout: N` line (default 300 s), stdin from /dev/null, output to OUTDIR/NAME.log and
# artefacts in OUTDIR/NAME/. A PATTERN selects the tests whose name contains it.
#
# Prints one PASS/FAIL line per test (a failure adds the first failing step and an excerpt of the log) and
# appends the same to OUTDIR/results as it goes ("START name", then "PASS name secs" or
# "FAIL name secs note"), so a caller outside a guest that died still learns how far it got.
# Runs on the host and inside the lab guest (dash).
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
DEFAULT_LIMIT=300

selected() {
  _n=$1; shift
  [ $# -eq 0 ] && return 0
  for _p; do case $_n in *"$_p"*) return 0;; esac; done
  return 1
}
test_name() { _b=${1##*/}; _b=${_b%.sh}; echo "${_b%.test.mjs}"; }
test_limit() {
  _l=$(sed -n 's,^\(#\|//\) *lab-timeout: *\([0-9][0-9]*\).*,\2,p' "$1" | head -n 1)
  echo "${_l:-$DEFAULT_LIMIT}"
}
excerpt() {  # what led to the first failed step and the other failed steps, else the log's tail
  if grep -q '^== \[FAIL\]' "$1"; then
    grep -m 1 -B 12 '^== \[FAIL\]' "$1"
    grep '^== \[FAIL\]' "$1" | sed -n '2,10p'
  else
    tail -n 20 "$1"
  fi
}
list_tests() {  # TESTDIR PATTERN... -> selected test paths, in name order
  _d=$1; shift
  for _f in "$_d"/*; do
    case $_f in *.sh|*.test.mjs) ;; *) continue;; esac
    selected "$(test_name "$_f")" "$@" && echo "$_f"
  done
}

if [ "${1:-}" = --budget ]; then
  shift; _dir=$1; shift
  _sum=0
  for t in $(list_tests "$_dir" "$@"); do _sum=$((_sum + $(test_limit "$t"))); done
  echo $_sum
  exit 0
fi

[ $# -ge 2 ] || { echo "usage: $0 TESTDIR OUTDIR [PATTERN...]" >&2; exit 2; }
TESTDIR=$1 OUT=$2; shift 2
mkdir -p "$OUT"
RES=$OUT/results
: > "$RES"
LAB_TEST_OUT=$OUT
. "$LAB_DIR/lib/test-lib.sh"

for t in $(list_tests "$TESTDIR" "$@"); do
  name=$(test_name "$t")
  limit=$(test_limit "$t")
  case $t in *.mjs) runner=node;; *) runner=sh;; esac
  log=$OUT/$name.log note=$OUT/$name.note
  rm -rf "${OUT:?}/$name" "$note"; mkdir -p "$OUT/$name"
  echo "START $name" >> "$RES"
  t0=$(now)
  LAB_TEST_OUT=$OUT/$name LAB_NOTE=$note timeout -k 10 "$limit" $runner "$t" > "$log" 2>&1 < /dev/null
  rc=$?
  secs=$(elapsed "$t0")
  if [ $rc -eq 0 ]; then
    echo "PASS $name $secs" >> "$RES"
    echo "PASS  $name (${secs}s)"
  else
    why=$(cat "$note" 2>/dev/null)
    case $rc in
      124|137) why="test timed out after ${limit}s${why:+, in '$why'}";;
      *) why=${why:-exit status $rc};;
    esac
    echo "FAIL $name $secs $why" >> "$RES"
    echo "FAIL  $name (${secs}s): $why"
    excerpt "$log" | sed 's/^/    | /'
    echo "    (full log: $log)"
  fi
done
