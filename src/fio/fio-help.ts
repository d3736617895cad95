/**
 * nvme-fio's `--help`: what it is, its own flags, where I/O goes, the job
 * options (generated from the job parser's option table, so it never drifts),
 * and worked examples.
 */
import { FIO_OPTIONS } from './option-table.js';

/** The CLI's own flags, with their help. */
const FLAGS: readonly [string, string][] = [
  ['--output-format=FMT', 'normal (fio\'s text, default), json, json+ (with latency bins); comma-separated for several'],
  ['--output=FILE', 'write the report to FILE instead of stdout'],
  ['--report=FILE.html', 'also write a self-contained HTML report with charts (IOPS, bandwidth, latency)'],
  ['--trace', 'print every NVMe command and completion to stderr (SPDK trace format)'],
  ['--version', 'print the version and exit'],
  ['-h, --help', 'this text'],
];

const JOB_FILE_EXAMPLE = `  # jobs.fio: four jobs against the bundled target (started for the run)
  [global]
  ioengine=nvmekit
  filename=loopback
  size=64M
  runtime=10
  time_based=1

  [randread-qd32]
  rw=randread
  bs=4k
  iodepth=32

  [randwrite-verify]
  stonewall
  rw=randwrite
  bs=4k
  iodepth=8
  verify=crc32c

  [mixed-70-30]
  stonewall
  rw=randrw
  rwmixread=70
  rate_iops=5000,2000

  [seqread-128k]
  stonewall
  rw=read
  bs=128k
  iodepth=4`;

const EXAMPLES: readonly [string, string][] = [
  ['run the job file above, fio text output:', 'nvme-fio jobs.fio'],
  ['the same, fio JSON (key for key as fio 3.x writes it) plus an HTML report:', 'nvme-fio --output-format=json --output=result.json --report=result.html jobs.fio'],
  [
    'a command-line job against an NVMe/TCP target (fio splits filenames at ":", so a ":" inside a value is written "\\:"):',
    "nvme-fio --name=rr --rw=randread --bs=4k --iodepth=16 --runtime=5 --time_based --filename='trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 subnqn=nqn.2016-06.io.nvmekit\\:cnode1 ns=1'",
  ],
  ['four clones summed into one report line, with latency logs:', 'nvme-fio --name=w --filename=loopback --rw=randwrite --numjobs=4 --group_reporting --size=16M --write_lat_log=w --log_avg_msec=100'],
];

/** The full usage text, ending with a newline. */
export function formatFioHelp(program = 'nvme-fio'): string {
  const flagWidth = Math.max(...FLAGS.map(([f]) => f.length));
  const options = FIO_OPTIONS.filter((o) => o.ignored === undefined);
  const ignored = FIO_OPTIONS.filter((o) => o.ignored !== undefined);
  const optWidth = Math.max(...options.map((o) => o.name.length));
  const lines = [
    `${program}: fio job files and fio's output on nvmekit's NVMe queue pairs`,
    '',
    'Usage:',
    `  ${program} [flags] JOBFILE...`,
    `  ${program} [flags] --name=JOB --OPTION=VALUE ... [--name=JOB2 ...]`,
    '',
    "Runs fio's INI job dialect ([global], job sections, include, ${VAR}, size suffixes) on the",
    "nvme-perf engine: each job clone (numjobs) gets its own I/O queue pair and runs in a worker",
    'thread; jobs run together until a stonewall job waits for them. Output is laid out as fio',
    "3.x lays it out, so fio tooling reads it. I/O goes to filename=: a transport ID in the fio",
    "plugin form, or 'loopback' for the bundled target (a 256 MiB RAM namespace over TCP on",
    '127.0.0.1, started once for the run). Ctrl-C stops the jobs and still prints what they measured.',
    '',
    'Flags:',
    ...FLAGS.map(([f, h]) => `  ${f.padEnd(flagWidth)}  ${h}`),
    '',
    'Job options (in a job file as option=value, on the command line as --option=value):',
    ...options.map((o) => `  ${o.name.padEnd(optWidth)}  ${o.help}${o.def === undefined ? '' : ` (default: ${o.def})`}`),
    '',
    `Accepted with a notice, no effect here: ${ignored.map((o) => o.name).join(', ')}`,
    '',
    'Verify: every unit a verifying job writes starts with a header (magic, offset, length, job',
    'seed, generation, checksum of the payload); reads check it, and I/O in flight never overlaps',
    'the same blocks, so a mismatch is real. It names the offset and both headers and fails the',
    'job (verify_fatal stops it at once).',
    '',
    'Example job file:',
    JOB_FILE_EXAMPLE,
    '',
    'Examples:',
    ...EXAMPLES.flatMap(([what, cmd]) => [`  ${what}`, `    ${cmd}`]),
  ];
  return lines.join('\n') + '\n';
}
