#!/bin/bash
# run-in-lab.sh '<shell command>'
# Boots the lab guest (QEMU TCG, q35 + emulated intel-iommu + emulated NVMe controller,
# Debian's 6.1 kernel), runs the command inside it with /bin/sh as root in the caller's $PWD (host root
# fs visible read-only with a tmpfs overlay; $LAB_RW shared read-write at the same path), streams the
# command's stdout+stderr, powers off, and exits with the command's status (125: no status reported).
#
# Env knobs:
#   LAB_RW=/path        read-write shared dir, same path in the guest (default: the repository root;
#                       "none" = no rw share). Goes on the kernel command line: no whitespace.
#   LAB_MEM=2G LAB_SMP=2 LAB_NVME_SIZE=64M LAB_TIMEOUT=1800 (seconds)
#   LAB_NVME_OPTS=...   -device nvme options (default: serial=deadbeef)
#   LAB_KEEP=1          keep the host-side run dir under <lab>/out/runs/: console.log (kernel), qemu.stderr
#                       (QEMU's own messages; the VFIO self-test's DMA fault makes it print vtd_* errors),
#                       nvme.img; kept anyway when the guest reports no status
#   LAB_QEMU_EXTRA=...  extra qemu args (word-split)
#   LAB_VERBOSE=1       print timings to stderr
#   LAB_KERNEL=path     kernel to boot (default: <lab>/kernel/vmlinux, else the bzImage)
# The guest has NO network device (-nic none): all networking is guest-internal
# (lo, dummy/veth interfaces created inside the guest).
set -uo pipefail
LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$LAB/../.." && pwd)"
if [[ $# -lt 1 ]]; then echo "usage: $0 '<command>'" >&2; exit 2; fi
KVER="$(cat "$LAB/kver" 2>/dev/null)" || { echo "run $LAB/build-lab.sh first" >&2; exit 2; }
[[ -f "$LAB/initrd.img" && -e "$LAB/vmlinuz" ]] || { echo "run $LAB/build-lab.sh first" >&2; exit 2; }

[[ "$ROOT" != *[[:space:]]* ]] || { echo "the repository path must not contain whitespace (kernel cmdline): $ROOT" >&2; exit 2; }
KERNEL="${LAB_KERNEL:-$LAB/kernel/vmlinux}"   # PVH ELF boot; falls back to the bzImage
[[ -s "$KERNEL" ]] || KERNEL="$LAB/vmlinuz"
RW="${LAB_RW:-$ROOT}"
RWARGS=()
if [[ "$RW" != none ]]; then
  mkdir -p "$RW"; RW="$(cd "$RW" && pwd)"
  [[ "$RW" != *[[:space:]]* ]] || { echo "LAB_RW must not contain whitespace: $RW" >&2; exit 2; }
  RWARGS=(-fsdev "local,id=labrw,path=$RW,security_model=none,multidevs=remap"
          -device virtio-9p-pci,fsdev=labrw,mount_tag=labrw)
fi
mkdir -p "$LAB/out/runs"
HOSTRUN="$(mktemp -d "$LAB/out/runs/run.XXXXXX")"
CTL="$HOSTRUN/ctl"; mkdir "$CTL"
printf '%s\n' "$1" > "$CTL/cmd.sh"
printf '%s' "$PWD" > "$CTL/cwd"

qemu-img create -q -f raw "$HOSTRUN/nvme.img" "${LAB_NVME_SIZE:-64M}"

APPEND="console=ttyS0 loglevel=4 panic=1 intel_iommu=on iommu=pt mitigations=off"
APPEND+=" lab.dir=$LAB lab.root=$ROOT lab.kver=$KVER lab.run=/run/lab"
[[ "$RW" != none ]] && APPEND+=" lab.rw=$RW"
# shellcheck disable=SC2206
EXTRA=(${LAB_QEMU_EXTRA:-})

t0=$(date +%s.%N)
timeout "${LAB_TIMEOUT:-1800}" qemu-system-x86_64 \
  -machine q35,kernel-irqchip=split -accel tcg,thread=multi -cpu max \
  -smp "${LAB_SMP:-2}" -m "${LAB_MEM:-2G}" \
  -device intel-iommu,intremap=on,caching-mode=on \
  -kernel "$KERNEL" -initrd "$LAB/initrd.img" -append "$APPEND" \
  -nodefaults -display none -monitor none -no-reboot -nic none \
  -serial "file:$HOSTRUN/console.log" \
  -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
  -fsdev local,id=labctl,path="$CTL",security_model=none \
  -device virtio-9p-pci,fsdev=labctl,mount_tag=labctl \
  "${RWARGS[@]}" \
  -drive file="$HOSTRUN/nvme.img",if=none,id=nvm,format=raw \
  -device "nvme,drive=nvm,${LAB_NVME_OPTS:-serial=deadbeef}" \
  -device virtio-serial-pci -chardev stdio,id=out,signal=on -device virtconsole,chardev=out \
  "${EXTRA[@]}" </dev/null 2>"$HOSTRUN/qemu.stderr"
qrc=$?
t1=$(date +%s.%N)

if [[ -f "$CTL/rc" ]]; then
  rc=$(cat "$CTL/rc")
else
  if ((qrc == 124)); then echo "[run-in-lab] timed out after ${LAB_TIMEOUT:-1800}s; guest killed" >&2
  else echo "[run-in-lab] guest did not report an exit status (qemu rc=$qrc)" >&2; fi
  echo "[run-in-lab] qemu stderr:" >&2
  tail -n 20 "$HOSTRUN/qemu.stderr" >&2
  echo "[run-in-lab] console tail:" >&2
  tail -n 40 "$HOSTRUN/console.log" >&2
  rc=125; LAB_KEEP=1
fi
if [[ -n "${LAB_VERBOSE:-}" ]]; then
  echo "[run-in-lab] wall $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")s; guest uptime at cmd start $(cat "$CTL/uptime_start" 2>/dev/null)s, at end $(cat "$CTL/uptime_end" 2>/dev/null)s; rc=$rc" >&2
fi
if [[ -n "${LAB_KEEP:-}" ]]; then echo "[run-in-lab] host run dir kept: $HOSTRUN" >&2; else rm -rf "$HOSTRUN"; fi
exit "$rc"
