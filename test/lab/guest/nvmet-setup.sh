#!/bin/sh
# nvmet-setup.sh -- (inside the lab guest) configure the kernel NVMe-oF target via configfs:
#   subsystem $NQN with ns1 = null_blk (/dev/nullb0, 1 GiB, reads zeros) and ns2 = 64 MiB file on tmpfs,
#   port 1 = tcp 127.0.0.1:4420, port 2 = rdma $RDMA_ADDR:4420 (only if rxe0 exists / RDMA=1).
# Idempotent: a second run (another test in the same boot) keeps what is configured and adds what is missing.
set -e
NQN=${NQN:-nqn.2024-01.io.lab:sub1}
RDMA_ADDR=${RDMA_ADDR:-192.0.2.1}
modprobe null_blk nr_devices=1 gb=1
modprobe nvmet; modprobe nvmet_tcp
C=/sys/kernel/config/nvmet
S=$C/subsystems/$NQN
mkdir -p $S
echo 1 > $S/attr_allow_any_host
ns() {  # ns ID PATH [buffered]: a namespace's device_path can only be written while it is disabled
  mkdir -p $S/namespaces/$1
  [ "$(cat $S/namespaces/$1/enable)" = 1 ] && return 0
  echo -n $2 > $S/namespaces/$1/device_path
  [ -z "$3" ] || echo 1 > $S/namespaces/$1/buffered_io
  echo 1 > $S/namespaces/$1/enable
}
ns 1 /dev/nullb0
[ -e /tmp/nvmet-ns2.img ] || truncate -s 64M /tmp/nvmet-ns2.img
ns 2 /tmp/nvmet-ns2.img buffered   # tmpfs has no O_DIRECT on 6.1: without buffered_io enable fails with EINVAL
port() {  # port ID TRTYPE TRADDR: port addresses can only be written while no subsystem is linked
  mkdir -p $C/ports/$1
  if [ ! -e $C/ports/$1/subsystems/$NQN ]; then
    echo $2 > $C/ports/$1/addr_trtype; echo ipv4 > $C/ports/$1/addr_adrfam
    echo $3 > $C/ports/$1/addr_traddr; echo 4420 > $C/ports/$1/addr_trsvcid
    ln -s $S $C/ports/$1/subsystems/$NQN
  fi
}
port 1 tcp 127.0.0.1
if [ "${RDMA:-1}" = 1 ] && [ -e /sys/class/infiniband/rxe0 ]; then
  modprobe nvmet_rdma
  port 2 rdma $RDMA_ADDR
fi
echo "nvmet: $NQN on $(for p in $C/ports/*; do printf '%s:%s:%s ' $(cat $p/addr_trtype) $(cat $p/addr_traddr) $(cat $p/addr_trsvcid); done)" >&2
