#!/bin/sh
# selftest-guest.sh -- runs INSIDE the lab guest: proves the lab itself works, one boot, 16 steps.
#   run alone:  test/lab/run-in-lab.sh 'sh test/lab/tests/selftest-guest.sh'
#   or as part of the lab suite (guest-tests/00-lab-selftest.sh).
# Exercises (a) VFIO + C and Node/koffi userspace NVMe, (b) node startup, (c) koffi, (d) Soft-RoCE verbs,
# (e) nvmet tcp+rdma target with the kernel host (nvme-cli) and a pure-Node NVMe/TCP probe.
. "$(dirname "$0")/../lib/test-lib.sh"
cd "$LAB_DIR" || exit 1
NQN=nqn.2024-01.io.lab:sub1
echo "guest $(uname -r), $(nproc) vCPU, uptime $(now)s"
step "b: node startup (cold)" timeout 60 node -e 'console.log("node", process.version)'
step "b: node startup (warm)" timeout 60 node -e '0'
step "c: koffi getpid/ioctl" timeout 60 node tests/koffi-basic.cjs
a_bind() { G=$(timeout 60 guest/vfio-bind.sh) && [ -e /dev/vfio/$G ] && BDF=$(ls /sys/kernel/iommu_groups/$G/devices/) && echo "group $G = $BDF"; }
a_nvme() { modprobe nvme && wait_for 20 /dev/nvme0n1 test -e /dev/nvme0n1 && cat /sys/class/nvme/nvme0/model; }
step "a: kernel nvme driver binds emulated controller" a_nvme
step "a: unbind nvme, bind vfio-pci" a_bind
step "a: C userspace NVMe over VFIO" timeout 60 out/bin/vfio-nvme-identify $G $BDF
step "a: Node+koffi userspace NVMe over VFIO" timeout 60 node tests/vfio-nvme-identify.cjs $G $BDF
step "d: rxe0 on dummy netdev" timeout 60 guest/rxe-up.sh
step "d: ibv_devices" timeout 30 ibv_devices
rping_test() { (timeout 60 rping -s -a 192.0.2.1 -C 3 >/dev/null 2>&1 &); sleep 1; timeout 60 rping -c -a 192.0.2.1 -C 3 -v; }
step "d: rping (rdma_cm, RC) to own IP" rping_test
pp_test() { (timeout 60 ibv_rc_pingpong -d rxe0 -g 1 -n 50 >/dev/null 2>&1 &); sleep 1; timeout 60 ibv_rc_pingpong -d rxe0 -g 1 -n 50 127.0.0.1; }
step "d: ibv_rc_pingpong" pp_test
step "d: Node+koffi raw verbs RDMA WRITE/READ" timeout 60 node tests/verbs-loopback.cjs
step "e: nvmet configfs (tcp 127.0.0.1 + rdma 192.0.2.1)" timeout 60 guest/nvmet-setup.sh
step "e: pure-Node NVMe/TCP ICReq+CONNECT+PropGet" timeout 60 node tests/nvmf-tcp-probe.cjs 127.0.0.1 4420 $NQN
fab_io() {  # $1 = transport, $2 = addr
  modprobe nvme_$1 && timeout 30 nvme discover -t $1 -a $2 -s 4420 | grep -q "subnqn:  $NQN" &&
  timeout 30 nvme connect -t $1 -a $2 -s 4420 -n $NQN && sleep 1 &&
  C=$(grep -l "$NQN" /sys/class/nvme/*/subsysnqn | head -1) && C=$(basename $(dirname $C)) &&
  echo "controller $C: transport=$(cat /sys/class/nvme/$C/transport) address=$(cat /sys/class/nvme/$C/address)" &&
  timeout 60 dd if=/dev/${C}n1 of=/dev/null bs=1M count=32 iflag=direct 2>&1 | tail -1 &&
  dd if=/dev/urandom of=/tmp/pat bs=64k count=16 2>/dev/null &&
  timeout 60 dd if=/tmp/pat of=/dev/${C}n2 bs=64k oflag=direct 2>/dev/null &&
  timeout 60 dd if=/dev/${C}n2 of=/tmp/back bs=64k count=16 iflag=direct 2>/dev/null && cmp /tmp/pat /tmp/back &&
  timeout 30 nvme disconnect -n $NQN
}
step "e: nvme-cli discover/connect/dd over TCP" fab_io tcp 127.0.0.1
step "e: nvme-cli discover/connect/dd over RDMA (rxe)" fab_io rdma 192.0.2.1
finish
