#!/bin/sh
# nvmekit's PCIe transport (VFIO, user space) against QEMU's NVMe controller behind the emulated
# intel-iommu: nvme-identify over trtype:PCIe; pcie-io.mjs writes, reads and verifies 1000 random
# 4 KiB and 1000 random 128 KiB blocks (multi-page PRP lists) through 2 I/O queue pairs, first with
# MSI-X interrupts (nothing polls the I/O queues, so a lost interrupt fails the step), then in poll
# mode, measures polled 4 KiB read latency and IOPS, detaches (CC.SHN); nvme-perf randrw over PCIe with
# 1 and 2 workers (queue pairs created by the main thread, driven by the workers); then the controller goes back to the
# kernel nvme driver and /dev/nvme0n1 must hold exactly what nvmekit wrote (clean shutdown, real data).
# Also the error messages for an unknown address and for a controller bound to nvme, and nvme-setup
# (status, bind, reset, refusing a controller with a mounted namespace), which leaves the controller
# on vfio-pci at the end.
# Issue 5's second part: trtype:PCIe without traddr (nvme-identify, and nvme-perf through connectAll;
# with the controller on nvme, the message names it and the nvme-setup command); a controller reset
# in the middle of pcie-io (every slot written before and after reads back); nvme-perf -E with 1 and 2
# workers, whose queue pairs nobody polls (they complete only through their MSI-X eventfd); and the
# message a user without access to /dev/vfio/N gets. Issue 5's DMA buffers: pcie-io --dma-buffers
# moves every block through buffers of Controller.allocDmaBuffer, zero copy (PRPs at their IOVA).
# lab-timeout: 1200
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$REPO" || exit 1
T=$LAB_TEST_OUT
IMAGE=/tmp/pcie-expected.img

SETUP="node dist/tools/nvme-setup.js"

setup_status() {
  timeout 60 $SETUP status > $T/status.txt 2>&1; rc=$?
  cat $T/status.txt
  [ $rc -eq 0 ] || fail "nvme-setup status exited with $rc"
  BDF=$(awk '$2 == "1b36:0010" { print $1; exit }' $T/status.txt)
  [ -n "$BDF" ] || fail "no QEMU NVMe controller (1b36:0010) in nvme-setup status"
}
bind_vfio() {
  timeout 60 $SETUP bind "$BDF" || return 1
  timeout 60 $SETUP status | grep -q "^$BDF .*driver=vfio-pci iommu_group=[0-9]" || fail "$BDF is not on vfio-pci with an IOMMU group"
  TRID="trtype:PCIe traddr:$BDF"
}
identify() {
  timeout 120 node dist/tools/nvme-identify.js -r "$TRID" > $T/identify.txt 2>&1; rc=$?
  cat $T/identify.txt
  [ $rc -eq 0 ] || fail "nvme-identify exited with $rc"
  expect_match $T/identify.txt 'QEMU NVMe Ctrl' "the model number 'QEMU NVMe Ctrl'" &&
    expect_match $T/identify.txt '^Namespace ID:1' "namespace 1 in the report"
}
identify_dotted() {  # the fio plugin's spelling of the address: 0000.00.04.0
  dotted=$(echo "$BDF" | tr : .)
  timeout 120 node dist/tools/nvme-identify.js -r "trtype:PCIe traddr:$dotted" > $T/identify-dotted.txt 2>&1 ||
    { cat $T/identify-dotted.txt; fail "nvme-identify with traddr:$dotted failed"; }
  expect_match $T/identify-dotted.txt 'QEMU NVMe Ctrl' "the model number with traddr:$dotted"
}
pcie_io_interrupts() { timeout 300 node "$LAB_DIR/guest-tests/pcie-io.mjs" -r "$TRID" --qpairs 2 --interrupts --seed 2; }
pcie_io_dma() { timeout 300 node "$LAB_DIR/guest-tests/pcie-io.mjs" -r "$TRID" --qpairs 2 --dma-buffers --seed 4; }
pcie_io() { timeout 300 node "$LAB_DIR/guest-tests/pcie-io.mjs" -r "$TRID" --qpairs 2 --image $IMAGE; }
perf() {  # perf CORE_MASK ROWS [TRID [FLAGS]]
  out=$T/perf-$1${4:+-interrupts}.txt
  # shellcheck disable=SC2086
  timeout 240 node dist/tools/nvme-perf.js $4 -q 32 -o 4096 -w randrw -M 50 -t 3 -c "$1" -r "${3:-$TRID}" > $out 2>&1; rc=$?
  cat $out
  [ $rc -eq 0 ] || fail "nvme-perf exited with $rc"
  rows=$(grep -c 'from core' $out)
  [ "$rows" -eq "$2" ] || fail "expected $2 rows 'from core', found $rows"
  awk -F: '/from core/ { split($NF, f, " "); if (f[1] + 0 <= 0) bad = 1 } END { exit bad }' $out || fail "a row with zero IOPS"
  ! grep -qi error $out || fail "nvme-perf printed an error"
}
identify_probe() {  # no -r, as spdk_nvme_identify: every controller bound to vfio-pci (here the one)
  timeout 120 node dist/tools/nvme-identify.js > $T/identify-probe.txt 2>&1 ||
    { cat $T/identify-probe.txt; fail "nvme-identify without -r failed"; }
  expect_match $T/identify-probe.txt 'QEMU NVMe Ctrl' "the model number found without traddr"
  expect_match $T/identify-probe.txt "NVMe Controller at $BDF" "the banner names the address it found"
}
pcie_io_reset() { timeout 300 node "$LAB_DIR/guest-tests/pcie-io.mjs" -r "$TRID" --qpairs 2 --sizes 4096,131072 --reset-after 500 --seed 3; }
no_permission() {  # a user who cannot open /dev/vfio/N
  group=$(basename "$(readlink /sys/bus/pci/devices/$BDF/iommu_group)")
  timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups node dist/tools/nvme-identify.js -r "$TRID" > $T/noperm.txt 2>&1 &&
    { cat $T/noperm.txt; fail "expected a failure"; }
  cat $T/noperm.txt
  expect_match $T/noperm.txt "cannot connect to $BDF: cannot open /dev/vfio/$group: Permission denied \(run as root, or give [a-z0-9]+ the node \(chown [a-z0-9]+ /dev/vfio/$group\) and a locked-memory limit \(ulimit -l\)" \
    "a message naming /dev/vfio/$group and what to do"
}
probe_none() {  # no traddr, and the only controller is on nvme: the message names it and the command
  timeout 60 node dist/tools/nvme-identify.js -r "trtype:PCIe" > $T/probe-none.txt 2>&1 && { cat $T/probe-none.txt; fail "expected a failure"; }
  cat $T/probe-none.txt
  expect_match $T/probe-none.txt "found no NVMe controller bound to vfio-pci: $BDF: skipped, it is bound to the kernel nvme driver; to use it: nvme-setup bind $BDF" \
    "a message naming the controller the kernel holds and the nvme-setup command"
}
unknown_bdf() {
  timeout 60 node dist/tools/nvme-identify.js -r "trtype:PCIe traddr:0000:42:00.0" > $T/unknown.txt 2>&1 && { cat $T/unknown.txt; fail "expected a failure"; }
  cat $T/unknown.txt
  expect_match $T/unknown.txt "no PCI device 0000:42:00.0.*NVMe controllers here: $BDF" "a message naming the missing device and the controllers present"
}
rebind_nvme() {
  timeout 60 $SETUP reset "$BDF" || return 1
  wait_for 30 /dev/nvme0n1 test -b /dev/nvme0n1
}
readback() { timeout 120 cmp $IMAGE /dev/nvme0n1 && echo "/dev/nvme0n1 holds exactly what nvmekit wrote ($(wc -c < $IMAGE) bytes)"; }
bound_to_nvme() {
  timeout 60 node dist/tools/nvme-identify.js -r "$TRID" > $T/bound.txt 2>&1 && { cat $T/bound.txt; fail "expected a failure"; }
  cat $T/bound.txt
  expect_match $T/bound.txt "$BDF: it is bound to the kernel nvme driver; hand it to vfio-pci first: nvme-setup bind $BDF" "a message saying the controller is bound to nvme and how to rebind it"
}

refuse_mounted() {
  timeout 60 mkfs.ext2 -q -F /dev/nvme0n1 && mkdir -p /tmp/pcie-mnt && timeout 30 mount /dev/nvme0n1 /tmp/pcie-mnt || return 1
  timeout 60 $SETUP bind "$BDF" > $T/refused.txt 2>&1; rc=$?
  umount /tmp/pcie-mnt
  cat $T/refused.txt
  [ $rc -ne 0 ] || fail "nvme-setup bind took a controller with a mounted namespace"
  expect_match $T/refused.txt "$BDF is in use, left with nvme: nvme0n1 is mounted on /tmp/pcie-mnt" "the refusal naming the mount"
}
back_to_vfio() { timeout 60 $SETUP bind "$BDF"; }

must "nvmekit is built" built dist/src/transport/pcie/index.js dist/tools/nvme-identify.js dist/tools/nvme-setup.js
must "nvme-setup status lists the QEMU NVMe controller" setup_status
must "nvme-setup bind: the controller to vfio-pci" bind_vfio
step "nvme-identify -r 'trtype:PCIe traddr:$BDF': QEMU NVMe Ctrl, namespace 1" identify
step "nvme-identify with the address spelled 0000.bb.dd.f" identify_dotted
step "nvme-identify without -r: the controller bound to vfio-pci" identify_probe
step "error: unknown PCI address" unknown_bdf
step "error: no permission on /dev/vfio/N (as nobody)" no_permission
step "pcie-io: 1000 x 4 KiB + 1000 x 128 KiB verified over 2 queue pairs, MSI-X interrupt mode" pcie_io_interrupts
step "nvme-perf -q 32 -o 4096 -w randrw -M 50 -t 3, 1 worker" perf 0x1 1
step "nvme-perf -q 32 -o 4096 -w randrw -M 50 -t 3, 2 workers" perf 0x3 2
step "nvme-perf -E, 1 worker, -r 'trtype:PCIe' (no traddr): queue pairs wait on MSI-X" perf 0x1 1 "trtype:PCIe" -E
step "nvme-perf -E, 2 workers: queue pairs wait on MSI-X" perf 0x3 2 "$TRID" -E
step "pcie-io with a controller reset after 500 operations: retried, every slot reads back" pcie_io_reset
step "pcie-io --dma-buffers: 1000 x 4 KiB + 1000 x 128 KiB verified over 2 queue pairs (poll mode), zero-copy from allocDmaBuffer" pcie_io_dma
must "pcie-io: 1000 x 4 KiB + 1000 x 128 KiB verified over 2 queue pairs (poll mode), detach" pcie_io
must "nvme-setup reset: back to the kernel nvme driver" rebind_nvme
step "kernel reads back what nvmekit wrote (/dev/nvme0n1 = shadow image)" readback
step "error: controller bound to nvme" bound_to_nvme
step "error: trtype:PCIe without traddr while the controller is on nvme" probe_none
step "nvme-setup bind refuses a controller with a mounted namespace" refuse_mounted
step "nvme-setup bind: leave the controller on vfio-pci" back_to_vfio
finish
