#!/bin/sh
# The lab's own self-test (VFIO, koffi, Soft-RoCE, nvmet + nvme-cli): when this fails, the other guest
# tests' failures say more about the lab than about nvmekit.
# lab-timeout: 300
exec sh "$(dirname "$0")/../tests/selftest-guest.sh"
