#!/bin/bash
# build-lab.sh -- idempotent builder for the QEMU/TCG "NVMe + VFIO + RDMA" lab. Run as root on Debian 12.
#
# Installs the Debian packages on the host (the guest sees the host's root fs read-only over virtio-9p,
# so everything installed here is usable in the guest), downloads and extracts Debian's own kernel
# (linux-image-6.1.*-amd64), runs depmod on the extracted tree, and builds a tiny busybox initramfs that
# mounts the host root via 9p with a tmpfs overlay and switch_roots into it.
#
# Everything it writes stays beside this script and is git-ignored:
#   kernel/      extracted linux-image package (boot/vmlinuz-*, lib/modules/*, vmlinux for PVH boot)
#   pkgs/        the downloaded kernel .deb
#   vmlinuz      symlink to the kernel;  kver  the kernel version string
#   initrd.img   the initramfs;  initrd.kver  the kernel it was built for
#   out/bin/     host-built test helpers (vfio-nvme-identify)
#
# A second run only checks and exits in about a second. LAB_KPKG=linux-image-6.1.0-NN-amd64 pins the
# kernel; without it an already extracted kernel is kept, and a fresh machine takes the one that
# Debian's linux-image-amd64 currently depends on.
set -euo pipefail
LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$LAB"
export DEBIAN_FRONTEND=noninteractive
log() { echo "[build-lab] $*"; }

PKGS=(qemu-system-x86 qemu-utils busybox-static kmod cpio pciutils xz-utils binutils
      nvme-cli rdma-core ibverbs-providers ibverbs-utils rdmacm-utils perftest
      libibverbs-dev librdmacm-dev iproute2 gcc libc6-dev tshark chromium)

apt_updated=0
apt_update() { ((apt_updated)) || { log "apt-get update"; apt-get update -qq; apt_updated=1; }; }

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $EUID -eq 0 ]] || { echo "[build-lab] missing packages (${missing[*]}); run as root" >&2; exit 1; }
  # tshark's wireshark-common asks whether non-root users may capture; answer it up front so apt never waits.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt_update
  log "installing: ${missing[*]}"
  mkdir -p out
  apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" > out/apt-install.log 2>&1 \
    || { tail -n 30 out/apt-install.log >&2; echo "[build-lab] apt-get install failed (log: $LAB/out/apt-install.log)" >&2; exit 1; }
fi

# ---- kernel -------------------------------------------------------------------
kernel_complete() { [[ -f "kernel/boot/vmlinuz-$1" && -f "kernel/lib/modules/$1/modules.dep" ]]; }
resolve_kpkg() {  # the real linux-image-6.1.0-NN-amd64 behind the linux-image-amd64 metapackage
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ && !f {print $2; f=1}'
}
KPKG="${LAB_KPKG:-}"
if [[ -z "$KPKG" && -f kver ]] && kernel_complete "$(cat kver)"; then KPKG="linux-image-$(cat kver)"; fi
[[ -n "$KPKG" ]] || KPKG="$(resolve_kpkg)"
[[ -n "$KPKG" ]] || { apt_update; KPKG="$(resolve_kpkg)"; }
[[ -n "$KPKG" ]] || { echo "[build-lab] cannot resolve the kernel package behind linux-image-amd64" >&2; exit 1; }
KVER="${KPKG#linux-image-}"
if ! kernel_complete "$KVER"; then
  log "fetching kernel package $KPKG"
  mkdir -p pkgs out
  rm -f pkgs/"${KPKG}"_*.deb
  download() { ( cd pkgs && apt-get download -qq "$KPKG" ) > out/apt-download.log 2>&1; }
  # stale lists point at a version the mirror no longer has: refresh once and retry
  download || { apt_update; download; } ||
    { cat out/apt-download.log >&2; echo "[build-lab] cannot download $KPKG" >&2; exit 1; }
  rm -rf kernel && mkdir kernel
  dpkg-deb -x pkgs/"${KPKG}"_*.deb kernel
  depmod -b "$LAB/kernel" "$KVER"
fi
echo "$KVER" > kver
ln -sfn "kernel/boot/vmlinuz-$KVER" vmlinuz
# Uncompressed ELF vmlinux (the bzImage payload is xz): QEMU boots it directly via the PVH entry
# point (CONFIG_PVH=y), skipping firmware real-mode boot + xz decompression (~5 s under TCG).
if [[ ! -s kernel/vmlinux || kernel/vmlinux -ot "kernel/boot/vmlinuz-$KVER" ]]; then
  off=$(LC_ALL=C grep -abo -m1 $'\xfd7zXZ' "kernel/boot/vmlinuz-$KVER" | head -1 | cut -d: -f1)
  tail -c +$((off + 1)) "kernel/boot/vmlinuz-$KVER" | xz -dc --single-stream > kernel/vmlinux.tmp 2>/dev/null || true
  if readelf -n kernel/vmlinux.tmp 2>/dev/null | grep -q 0x00000012; then mv kernel/vmlinux.tmp kernel/vmlinux
  else log "warning: could not extract a PVH vmlinux; run-in-lab.sh will use the bzImage"; rm -f kernel/vmlinux.tmp; fi
fi

# ---- initramfs ----------------------------------------------------------------
# Only what is needed to reach the 9p root; everything else is modprobe'd later
# from the real module tree (bind-mounted onto /lib/modules/$KVER in the guest).
INITRD_MODS=(virtio_pci 9pnet_virtio 9p overlay configfs virtio_console)
if [[ ! -f initrd.img || build-lab.sh -nt initrd.img || "$(cat initrd.kver 2>/dev/null)" != "$KVER" ]]; then
  log "building initrd.img"
  mkdir -p out
  W="$(mktemp -d "$LAB/out/initrd.XXXXXX")"
  trap 'rm -rf "$W"' EXIT
  mkdir -p "$W"/{bin,dev,proc,sys,lower,upper,newroot,mods}
  cp /bin/busybox "$W/bin/busybox"
  : > "$W/mods/order"
  for m in "${INITRD_MODS[@]}"; do
    modprobe -d "$LAB/kernel" -S "$KVER" --show-depends "$m" | awk '$1=="insmod"{print $2}'
  done | awk '!seen[$0]++' | while read -r ko; do
    cp "$ko" "$W/mods/"
    basename "$ko" >> "$W/mods/order"
  done
  cat > "$W/init" <<'EOF'
#!/bin/busybox sh
# stage 1 (initramfs, static busybox => cheap under TCG): load modules, mount host root (ro 9p) + tmpfs
# overlay, do all the mounts/setup that would otherwise cost a dynamically-linked exec each, switch_root.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for ko in $(cat /mods/order); do insmod /mods/$ko || echo "stage1: insmod $ko failed"; done
arg() { for a in $(cat /proc/cmdline); do case "$a" in "$1"=*) echo "${a#*=}";; esac; done; }
MSIZE=$(arg lab.msize); MSIZE=${MSIZE:-512000}
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=$MSIZE hostroot /lower; then
  echo "stage1: cannot mount 9p hostroot"; exec sh
fi
mount -t tmpfs -o size=75% tmpfs /upper
mkdir -p /upper/u /upper/w
if ! mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot; then
  echo "stage1: overlay failed, using plain ro 9p root"; mount --bind /lower /newroot
fi
N=/newroot
LAB=$(arg lab.dir)
ROOT=$(arg lab.root)
KVER=$(arg lab.kver)
RW=$(arg lab.rw)
mkdir -p $N/usr/lib/modules/$KVER
mount --bind $N$LAB/kernel/lib/modules/$KVER $N/usr/lib/modules/$KVER
mount --move /dev $N/dev
mount --move /proc $N/proc
mount --move /sys $N/sys
mkdir -p $N/dev/pts $N/dev/shm $N/var/tmp
mount -t devpts devpts $N/dev/pts
mount -t tmpfs tmpfs $N/dev/shm
mount -t tmpfs -o mode=1777 tmpfs $N/tmp
mount -t tmpfs -o mode=755 tmpfs $N/run
mount -t tmpfs -o mode=1777 tmpfs $N/var/tmp
# A checkout under /tmp (or another path hidden by the fresh tmpfs above) is made visible again, read-only.
if [ -n "$ROOT" ] && [ ! -e $N$LAB/guest-init.sh ]; then
  mkdir -p $N$ROOT && mount --bind /lower$ROOT $N$ROOT || echo "stage1: cannot re-expose $ROOT"
fi
if [ -n "$RW" ]; then
  mkdir -p $N$RW
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=$MSIZE,cache=none labrw $N$RW || echo "stage1: rw 9p mount failed"
fi
mkdir -p $N/run/lab   # control share: cmd.sh, cwd, rc, timings (host side: a per-run dir)
mount -t 9p -o trans=virtio,version=9p2000.L,msize=$MSIZE,cache=none labctl $N/run/lab || echo "stage1: ctl 9p mount failed"
mount -t configfs configfs $N/sys/kernel/config
mount -t debugfs debugfs $N/sys/kernel/debug 2>/dev/null
hostname lab
ip link set lo up
i=0; while [ ! -e $N/dev/hvc0 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
stty -F $N/dev/hvc0 raw -echo 2>/dev/null
exec switch_root $N /bin/sh $LAB/guest-init.sh
EOF
  chmod +x "$W/init"
  ( cd "$W" && find . | cpio -o -H newc --quiet | gzip -1 ) > out/initrd.img.tmp
  mv out/initrd.img.tmp initrd.img
  echo "$KVER" > initrd.kver
  rm -rf "$W"; trap - EXIT
fi

# ---- host-built test helpers ----------------------------------------------------
mkdir -p out/bin
if [[ ! -x out/bin/vfio-nvme-identify || tests/vfio-nvme-identify.c -nt out/bin/vfio-nvme-identify ]]; then
  gcc -O2 -Wall -o out/bin/vfio-nvme-identify tests/vfio-nvme-identify.c
fi
log "ok: kernel $KVER, $(du -h initrd.img | cut -f1) initrd, lab dir $LAB"
