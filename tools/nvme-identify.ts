#!/usr/bin/env node
/**
 * nvme-identify: what one NVMe controller says about itself, printed the way
 * SPDK's spdk_nvme_identify prints it (same sections and labels, so the two
 * can be diffed), or as JSON. Pointed at a discovery controller it prints the
 * Discovery Log Page.
 */
import { Option } from 'commander';
import { connect, connectAll, ConfigError, parseTransportId, type Controller, type ControllerOptions, type TransportId } from '../src/index.js';
import { integerArg } from '../src/cli/arg-parsers.js';
import { collectIdentifyReport } from '../src/cli/collect-identify.js';
import type { ErrorContext } from '../src/cli/error-messages.js';
import { OPTION_HELP, TRANSPORT_ID_HELP } from '../src/cli/help-texts.js';
import { hexDump } from '../src/cli/hex-dump.js';
import { createProgram, printError, runCli } from '../src/cli/program.js';
import { addIgnoredSpdkFlags, givenIgnoredFlags, SPDK_FLAGS } from '../src/cli/spdk-flags.js';
import { resolveOptions } from '../src/nvme-driver/options.js';
import { identifyReportToJson } from '../src/report/identify-json.js';
import { formatIdentifyText } from '../src/report/identify-text.js';
import { heading } from '../src/report/spdk-text.js';

const NAME = 'nvme-identify';
const EXAMPLE_TRID = 'trtype:TCP traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.nvmekit:cnode1';
/** What no -r stands for: every local controller bound to vfio-pci. */
const LOCAL_PCIE = 'trtype:PCIe';

/** spdk_nvme_identify's flags that configure SPDK itself, or print what nvmekit does not support. */
const IGNORED_SPDK_FLAGS = [
  SPDK_FLAGS.hugeMemMb,
  SPDK_FLAGS.singleFileSegments,
  SPDK_FLAGS.shmId,
  SPDK_FLAGS.mainCore,
  SPDK_FLAGS.iovaMode,
  SPDK_FLAGS.vmd,
  SPDK_FLAGS.sockImpl,
  SPDK_FLAGS.memSizeMb,
  SPDK_FLAGS.noHuge,
  SPDK_FLAGS.logFlag,
  SPDK_FLAGS.ocssdVerbose,
  SPDK_FLAGS.zoneReport,
];

interface IdentifyFlags {
  transport?: string;
  json?: boolean;
  x?: boolean;
  hostnqn?: string;
  hdgst?: boolean;
  ddgst?: boolean;
  connectTimeout?: number;
  trace?: boolean;
  H?: boolean;
}

const program = createProgram(
  NAME,
  "Print an NVMe controller's Identify data, features, log pages and namespaces, as spdk_nvme_identify does.",
)
  .option('-r, --transport <trid>', OPTION_HELP.transport)
  .option('--json', "print the report as JSON (controller and namespaces with nvme-cli's id-ctrl / id-ns keys)")
  .addOption(
    new Option('-x', 'also print hex dumps of the raw Identify data and log pages, after the report (SPDK prints them inline)').conflicts('json'),
  )
  .option('--hostnqn <nqn>', OPTION_HELP.hostnqn)
  .option('--hdgst', OPTION_HELP.hdgst)
  .option('--ddgst', OPTION_HELP.ddgst)
  .option('--connect-timeout <ms>', OPTION_HELP.connectTimeout, integerArg(1, 0x7fffffff))
  .option('--trace', OPTION_HELP.trace)
  .addOption(new Option('-H', 'show this help (the SPDK spelling)').hideHelp());

const ignoredHelp = addIgnoredSpdkFlags(program, IGNORED_SPDK_FLAGS);

program.addHelpText(
  'after',
  `
${TRANSPORT_ID_HELP}

Examples:
  ${NAME} -r '${EXAMPLE_TRID}'
      the controller of subsystem cnode1 and its namespaces, as spdk_nvme_identify prints them
  ${NAME} -r 'trtype:TCP traddr:127.0.0.1 trsvcid:4420'
      no subnqn: the discovery controller, with its Discovery Log Page
  ${NAME} -r '${EXAMPLE_TRID}' --json | jq '.namespaces[].nsze'
  ${NAME} -r '${EXAMPLE_TRID}' --trace 2>trace.log
  ${NAME}
      no -r: every local NVMe controller bound to vfio-pci (nvme-setup bind moves one there)

Commands the controller rejects (INVALID FIELD...) leave their section out, as in SPDK.
Exit status: 0 printed, 1 the controller could not be reached or failed, 2 bad flags or transport ID.

${ignoredHelp}
`,
);

function parseTrid(text: string): TransportId {
  try {
    return parseTransportId(text);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`-r '${text}'`, err.message);
    throw err;
  }
}

/** One `-x` block: a title, then the dump. */
function hexSection([label, data]: [string, Buffer]): string {
  return `${heading(`${label} (${data.length} bytes)`).join('\n')}\n${hexDump(data)}\n`;
}

async function identify(flags: IdentifyFlags, ctx: ErrorContext): Promise<void> {
  if (flags.H) program.help();
  const ignored = givenIgnoredFlags(program, IGNORED_SPDK_FLAGS);
  if (ignored.length > 0) printError(NAME, `ignoring SPDK flags ${ignored.join(' ')} (no effect in nvmekit)`);
  // As spdk_nvme_identify: no -r means every local PCIe controller (those bound to vfio-pci).
  const trid = parseTrid(flags.transport ?? LOCAL_PCIE);
  const trace = flags.trace ? (line: string): void => void process.stderr.write(`${line}\n`) : undefined;
  const options: ControllerOptions = {
    hostnqn: flags.hostnqn,
    headerDigest: flags.hdgst === true,
    dataDigest: flags.ddgst === true,
    connectTimeoutMs: flags.connectTimeout,
    trace,
  };
  ctx.trid = trid;
  ctx.hostnqn = resolveOptions(trid, options).hostnqn;
  const connectOptions = { ...options, hostnqn: ctx.hostnqn };
  const controllers =
    trid.trtype === 'PCIe' && trid.traddr === undefined
      ? await connectAll(trid, connectOptions).catch((err: unknown) => {
          if (flags.transport !== undefined || !(err instanceof ConfigError)) throw err;
          throw new ConfigError('-r', `no -r, so ${err.message.slice(err.key.length + 2)}; for an NVMe-oF controller give one, e.g. -r '${EXAMPLE_TRID}'`);
        })
      : [await connect(trid, connectOptions)];
  ctx.connected = true;
  try {
    for (const controller of controllers) process.stdout.write(await identifyOne(controller, flags, trace));
  } finally {
    for (const controller of controllers) {
      const detached = await controller.detach();
      for (const err of detached.errors) trace?.(`detach: ${err.message}`);
    }
  }
}

/** One controller's report (text, or one JSON document per controller). */
async function identifyOne(controller: Controller, flags: IdentifyFlags, trace: ((line: string) => void) | undefined): Promise<string> {
  const raw: [string, Buffer][] = [];
  const report = await collectIdentifyReport(controller, controller.trid, {
    onRejected: trace && ((what, err) => trace(`${what} rejected with ${err.statusName}: its section is left out`)),
    onRawData: flags.x ? (label, data) => raw.push([label, data]) : undefined,
  });
  return flags.json ? `${JSON.stringify(identifyReportToJson(report), null, 2)}\n` : formatIdentifyText(report) + raw.map(hexSection).join('');
}

const ctx: ErrorContext = { connected: false };
process.exitCode = await runCli(program, process.argv, (flags: IdentifyFlags) => identify(flags, ctx), ctx);
