/**
 * From attached controllers to worker contexts: SPDK's association order, the
 * queue pairs each context gets, --verify ranges, the queue budget, ns:N, the
 * queue-size warning, and where --loopback puts the target.
 */
import { describe, expect, it } from 'vitest';
import type { Controller } from '../../../src/nvme-driver/controller.js';
import type { QpairDescriptor } from '../../../src/nvme-driver/descriptor.js';
import { parseTransportId } from '../../../src/nvme-driver/transport-id.js';
import { ConfigError } from '../../../src/spec/errors.js';
import { IoCdw12Flag } from '../../../src/spec/commands.js';
import { loopbackTargetCore } from '../../../src/bench/loopback-target.js';
import { buildPerfPlan, type AttachedController } from '../../../src/bench/perf-plan.js';
import { parsePerfCommandLine, type PerfOptions } from '../../../src/bench/perf-options.js';

interface FakeNs {
  nsid: number;
  numLbas: number;
  blockBytes: number;
}

/** The part of a Controller the plan reads, with descriptors that count their QIDs. */
function controller(subnqn: string, namespaces: FakeNs[], limits: { maxIoQueues?: number; ioQueueSize?: number; maxTransferSize?: number } = {}) {
  let qid = 0;
  const fake = {
    trid: parseTransportId(`trtype:TCP traddr:127.0.0.1 trsvcid:4420 subnqn:${subnqn}`),
    namespaces,
    getNamespace: (nsid: number) => namespaces.find((n) => n.nsid === nsid),
    maxIoQueues: limits.maxIoQueues ?? 127,
    ioQueueSize: limits.ioQueueSize ?? 128,
    maxTransferSize: limits.maxTransferSize ?? 131072,
    allocQpairDescriptor: () => ({ subnqn, qid: ++qid }) as QpairDescriptor,
  };
  return fake as unknown as Controller;
}

function options(args: string): PerfOptions {
  const cl = parsePerfCommandLine([...args.split(' '), '-r', 'trtype:TCP traddr:127.0.0.1 subnqn:nqn.x:y']);
  if (cl.kind !== 'run') throw new Error('help');
  return cl.options;
}

const ns = (nsid: number, mib = 64, blockBytes = 512): FakeNs => ({ nsid, numLbas: (mib * 1024 * 1024) / blockBytes, blockBytes });
const attach = (...ctrlrs: Controller[]): AttachedController[] => ctrlrs.map((ctrlr) => ({ ctrlr, ns: undefined }));

describe('buildPerfPlan', () => {
  it('associates namespaces with workers round-robin over max(#ns, #workers), as SPDK does', () => {
    const a = controller('nqn.x:a', [ns(1), ns(2), ns(3)]);
    const plan = buildPerfPlan(attach(a), options('-q 4 -o 4096 -w randread -t 1 -c 0x3'), 7);
    expect(plan.associations.map((x) => `${x.name.slice(-6)}@${x.lcore}`)).toEqual(['NSID 1@0', 'NSID 2@1', 'NSID 3@0']);
    expect(plan.workers.map((w) => [w.lcore, w.contexts.map((c) => c.config.nsid)])).toEqual([
      [0, [1, 3]],
      [1, [2]],
    ]);
    expect(plan.controllers).toEqual([{ name: 'TCP (addr:127.0.0.1 subnqn:nqn.x:a)', fabrics: true }]);
  });

  it('gives each context -P active and -U idle queue pairs of its own, and its own seed', () => {
    const a = controller('nqn.x:a', [ns(1)]);
    const plan = buildPerfPlan(attach(a), options('-q 4 -o 4096 -w randread -t 1 -c 0x3 -P 2 -U 1'), 7);
    const contexts = plan.workers.flatMap((w) => w.contexts);
    expect(contexts.map((c) => [c.activeQpairs, c.descriptors.map((d) => d.qid)])).toEqual([
      [2, [1, 2, 3]],
      [2, [4, 5, 6]],
    ]);
    expect(contexts[0]!.config.workload.seed).not.toBe(contexts[1]!.config.workload.seed);
  });

  it('sizes I/O from the namespace: slots, blocks per I/O, -d N%, FUA, the mix', () => {
    const a = controller('nqn.x:a', [ns(1, 64, 4096)]);
    const plan = buildPerfPlan(attach(a), options('-q 4 -o 16k -w randrw -M 30 -t 1 -d 50% --fua'), 7);
    const c = plan.workers[0]!.contexts[0]!.config;
    expect(c.workload).toMatchObject({ ioSizeBlocks: 4, firstSlot: 0, slotCount: 4096, rwMixRead: 30, random: true, verify: false });
    expect(c.numberIos).toBe(2048);
    expect(c.writeFlags).toBe(IoCdw12Flag.FUA);
    expect(c.blockSize).toBe(4096);
    expect(plan.associations[0]!.numberIos).toEqual({ count: 2048, percent: 50 });
  });

  it('splits a namespace shared by workers into disjoint --verify ranges, one run tag for all', () => {
    const a = controller('nqn.x:a', [ns(1, 1)]);
    const plan = buildPerfPlan(attach(a), options('-q 4 -o 4096 -w randrw -M 50 -t 1 -c 0x3 --verify'), 7);
    const [c0, c1] = plan.workers.map((w) => w.contexts[0]!.config);
    expect([c0!.workload.firstSlot, c0!.workload.slotCount, c1!.workload.firstSlot, c1!.workload.slotCount]).toEqual([0, 128, 128, 128]);
    expect(c0!.verifyRunTag).not.toBeNull();
    expect(c0!.verifyRunTag).toBe(c1!.verifyRunTag);
    expect(c0!.workload.verify).toBe(true);
  });

  it('builds the zipf constants once per range size', () => {
    const a = controller('nqn.x:a', [ns(1, 1)]);
    const b = controller('nqn.x:b', [ns(1, 1)]);
    const plan = buildPerfPlan(attach(a, b), options('-q 4 -o 4096 -w randread -t 1 -F 0.8'), 7);
    const [za, zb] = plan.workers[0]!.contexts.map((c) => c.config.workload.zipf);
    expect(za).toMatchObject({ range: 256, theta: 0.8 });
    expect(za).toBe(zb);
  });

  it('refuses more queue pairs than a controller granted, naming -P', () => {
    const a = controller('nqn.x:a', [ns(1)], { maxIoQueues: 3 });
    expect(() => buildPerfPlan(attach(a), options('-q 4 -o 4096 -w randread -t 1 -c 0x3 -P 2'), 7)).toThrow(ConfigError);
    expect(() => buildPerfPlan(attach(a), options('-q 4 -o 4096 -w randread -t 1 -c 0x3 -P 2'), 7)).toThrow(/^-P: 4 I\/O queue pairs .* granted 3$/);
  });

  it('names -o when the I/O size does not fit a namespace', () => {
    const a = controller('nqn.x:a', [ns(1, 64, 4096)]);
    expect(() => buildPerfPlan(attach(a), options('-q 4 -o 512 -w randread -t 1'), 7)).toThrow(/^-o: 512 is not a multiple of the 4096-byte LBA size/);
  });

  it('restricts a controller to ns:N and says when it has no such namespace', () => {
    const a = controller('nqn.x:a', [ns(1), ns(2)]);
    const plan = buildPerfPlan([{ ctrlr: a, ns: 2 }], options('-q 4 -o 4096 -w randread -t 1'), 7);
    expect(plan.associations.map((x) => x.name)).toEqual(['TCP (addr:127.0.0.1 subnqn:nqn.x:a) NSID 2']);
    expect(() => buildPerfPlan([{ ctrlr: a, ns: 5 }], options('-q 4 -o 4096 -w randread -t 1'), 7)).toThrow(
      'namespace 5 does not exist on TCP (addr:127.0.0.1 subnqn:nqn.x:a) (ns:5 in -r)',
    );
  });

  it("prints SPDK's note when -q needs more entries than the I/O queue has", () => {
    const a = controller('nqn.x:a', [ns(1)], { ioQueueSize: 128 });
    expect(buildPerfPlan(attach(a), options('-q 64 -o 4096 -w randread -t 1'), 7).warnings).toEqual([]);
    expect(buildPerfPlan(attach(a), options('-q 65 -o 4096 -w randread -t 1'), 7).warnings).toEqual([
      'Controller IO queue size 128, less than required.',
      'Consider using lower queue depth or smaller IO size, because IO requests may be queued at the NVMe driver.',
    ]);
  });
});

describe('loopbackTargetCore', () => {
  it('takes the lowest usable core no worker uses, or none', () => {
    expect(loopbackTargetCore([1], [0, 1])).toBe(0);
    expect(loopbackTargetCore([0], [0, 1])).toBe(1);
    expect(loopbackTargetCore([0, 1], [0, 1])).toBeNull();
    expect(loopbackTargetCore([2], [2, 3, 5])).toBe(3);
  });
});
