#!/bin/sh
# The HTML reports render in a real browser (host side, no VM): headless Chromium opens an nvme-perf
# --loopback report and an nvme-fio --report of a loopback job (reads and writes), the parsed DOM (--dump-dom) must hold all four charts with their titles, tick
# labels and marks, and a screenshot (decoded in node: zlib + PNG filters) must not be blank and must
# show each series' colour. The pages, DOM dumps and screenshots stay in test/lab/out/host/<this test>/.
# lab-timeout: 240
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$REPO" || exit 1
T=$LAB_TEST_OUT
CHECK="$LAB_DIR/host-tests/html-report-check.mjs"
CHARTS="iops bandwidth percentiles histogram"
READ='#0072B2' WRITE='#D55E00'

# --user-data-dir keeps the profile out of $HOME; file:// pages need no network, and the reports forbid it.
chrome() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
    --user-data-dir="$T/chromium-profile" "$@" 2>>"$T/chromium.stderr"
}

perf_report() {
  timeout 120 node dist/tools/nvme-perf.js --loopback -t 3 -q 32 --report "$T/perf.html" > "$T/perf.txt" 2>&1 ||
    { cat "$T/perf.txt"; return 1; }
  tail -n 3 "$T/perf.txt"
  ls -l "$T/perf.html"
}
fio_report() {
  timeout 120 node dist/tools/nvme-fio.js --name=randrw-70 --filename=loopback --rw=randrw --rwmixread=70 \
    --iodepth=16 --runtime=3 --time_based --report="$T/fio.html" > "$T/fio.txt" 2>&1 || { cat "$T/fio.txt"; return 1; }
  grep -E '^ *(read|write):' "$T/fio.txt"
  ls -l "$T/fio.html"
}

dom() {  # dom NAME: Chromium's parsed DOM of NAME.html holds every chart
  chrome --dump-dom "file://$T/$1.html" > "$T/$1.dom.html" || { fail "chromium --dump-dom exited $?"; return 1; }
  timeout 60 node "$CHECK" dom "$T/$1.dom.html" $CHARTS
}
shot() {  # shot NAME COLOR...: a screenshot of NAME.html shows the page and each series colour
  name=$1; shift
  rm -f "$T/$name.png"
  chrome --window-size=1280,2600 --screenshot="$T/$name.png" "file://$T/$name.html" > /dev/null
  need_file "$T/$name.png" "chromium --screenshot wrote nothing; see chromium.stderr" || return 1
  timeout 60 node "$CHECK" png "$T/$name.png" "$@"
}

must "nvmekit is built" need_file dist/src/report/html/html-report.js "npm run build"
must "chromium is installed" command -v chromium
step "chromium version" chrome --version
must "nvme-perf --loopback --report" perf_report
must "nvme-fio --report of a 70/30 loopback job" fio_report
step "chromium parses the perf report: all charts" dom perf
step "chromium screenshot of the perf report" shot perf "$READ"
step "chromium parses the fio report: all charts" dom fio
step "chromium screenshot of the fio report" shot fio "$READ" "$WRITE"
finish
