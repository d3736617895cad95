#!/bin/bash
# run-lab-tests.sh [PATTERN...] -- the lab test suite (`npm run test:lab`). Run as root.
#   1. builds the lab if needed (build-lab.sh: Debian packages, kernel, initramfs);
#   2. runs host-tests/ on this machine (tests that need the lab's Debian packages but no VM);
#   3. boots the guest once and runs guest-tests/ inside it (run-suite.sh), logs back through the
#      read-write share (the repository root);
#   4. prints every result and closes with "N passed, N failed"; exits non-zero on any failure or when
#      nothing ran.
# A PATTERN runs only the tests whose name contains it (e.g. `selftest`, `tshark`).
# Logs: test/lab/out/{host,guest}/NAME.log, artefacts in test/lab/out/{host,guest}/NAME/.
set -uo pipefail
LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$LAB/../.." && pwd)"
OUT="$LAB/out"
cd "$ROOT" || exit 1
T0=$SECONDS
section() { printf '\n==== %s ====\n' "$*"; }
for p in "$@"; do
  [[ "$p" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "test pattern '$p': only letters, digits, '.', '_' and '-'" >&2; exit 2; }
done

results=()   # "PASS|FAIL<TAB>suite/name<TAB>detail"
closing() {
  section "lab results ($((SECONDS - T0)) s)"
  local passed=0 failed=0 r
  for r in "${results[@]}"; do
    IFS=$'\t' read -r verdict name detail <<<"$r"
    printf '%s  %s  %s\n' "$verdict" "$name" "$detail"
    if [[ $verdict == PASS ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  done
  ((passed + failed)) || echo "no lab test ran"
  echo "$passed passed, $failed failed"
  ((failed == 0 && passed > 0))
  exit $?
}
collect() {  # SUITE RESULTS_FILE [WHY_UNFINISHED]
  local suite=$1 file=$2 why=${3:-the suite stopped} kind name secs note pending=""
  [[ -f "$file" ]] || return 0
  while read -r kind name secs note; do
    case $kind in
      START) pending=$name;;
      PASS) results+=("PASS	$suite/$name	${secs}s"); pending="";;
      FAIL) results+=("FAIL	$suite/$name	${secs}s: $note"); pending="";;
    esac
  done < "$file"
  [[ -z "$pending" ]] || results+=("FAIL	$suite/$pending	did not finish: $why")
}

section "build lab"
if ! bash "$LAB/build-lab.sh"; then
  results+=("FAIL	lab/build	build-lab.sh failed")
  closing
fi
[[ -f "$ROOT/dist/src/index.js" ]] || echo "warning: $ROOT/dist is not built (npm run build): the nvmekit tests will fail"

section "host lab tests"
rm -rf "$OUT/host"
sh "$LAB/run-suite.sh" "$LAB/host-tests" "$OUT/host" "$@"
collect host "$OUT/host/results"

budget=$(sh "$LAB/run-suite.sh" --budget "$LAB/guest-tests" "$@")
if ((budget > 0)); then
  section "guest lab tests (one boot)"
  rm -rf "$OUT/guest"; mkdir -p "$OUT/guest"
  # The guest writes its logs through the read-write share, which is the repository root.
  LAB_RW="$ROOT" LAB_TIMEOUT=$((budget + 120)) LAB_VERBOSE=1 \
    "$LAB/run-in-lab.sh" "sh $LAB/run-suite.sh $LAB/guest-tests $OUT/guest $*"
  rc=$?
  if [[ -s "$OUT/guest/results" ]]; then
    collect guest "$OUT/guest/results" "the guest stopped (run-in-lab.sh rc=$rc)"
  else
    results+=("FAIL	guest/boot	no guest test reported (run-in-lab.sh rc=$rc)")
  fi
fi
closing
