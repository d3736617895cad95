import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeError, endpointLabel, ExitCode, type ErrorContext } from '../../../src/cli/error-messages.js';
import { connect } from '../../../src/nvme-driver/controller.js';
import { ConnectRejectedError } from '../../../src/nvme-driver/fabrics.js';
import { parseTransportId } from '../../../src/nvme-driver/transport-id.js';
import { CommandTimeoutError, ConfigError, ProtocolError, TransportError } from '../../../src/spec/errors.js';
import { connectInvalidParameterCdw0, ConnectDataOffset, FabricsCommandStatus, FabricsSqeOffset } from '../../../src/spec/fabrics.js';
import { GenericStatus, NvmeStatusError, StatusCodeType } from '../../../src/spec/status.js';
import { registerTransport } from '../../../src/transport/transport.js';
import { FakeController, FakeTransport, type Answer } from '../driver/fake-controller.js';

const SUBNQN = 'nqn.2024-01.io.nvmekit:fake';
const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10';
const TRID = parseTransportId(`trtype:TCP traddr:127.0.0.1 trsvcid:4420 subnqn:${SUBNQN}`);
const connecting: ErrorContext = { trid: TRID, hostnqn: HOSTNQN, connected: false };
const connected: ErrorContext = { ...connecting, connected: true };

describe('endpointLabel', () => {
  it('names the address the way a user types it', () => {
    expect(endpointLabel(TRID)).toBe('127.0.0.1:4420');
    expect(endpointLabel(parseTransportId('trtype:TCP traddr:::1 trsvcid:4421'))).toBe('[::1]:4421');
    expect(endpointLabel(parseTransportId('trtype:PCIe traddr:04:00.0'))).toBe('0000:04:00.0');
    expect(endpointLabel(undefined)).toBe('the controller');
  });
});

describe('describeError', () => {
  it('makes bad input a usage error with its own message', () => {
    const err = new ConfigError("-r 'trtype:TCP'", 'traddr: missing');
    expect(describeError(err, { connected: false })).toEqual({ message: err.message, exitCode: ExitCode.USAGE });
  });

  it('says a refused connection means nobody listens there', () => {
    const err = new TransportError('NVMe/TCP qid 0 to 127.0.0.1:4420: connection refused (ECONNREFUSED)', 'ECONNREFUSED');
    expect(describeError(err, connecting)).toEqual({
      message: 'cannot connect to 127.0.0.1:4420: connection refused (is a target listening?)',
      exitCode: ExitCode.FAILURE,
    });
  });

  it('tells a failed connect from a connection lost afterwards', () => {
    const err = new TransportError('NVMe/TCP qid 0 to 127.0.0.1:4420: connection reset by the controller (ECONNRESET)', 'ECONNRESET');
    expect(describeError(err, connecting).message).toBe('cannot connect to 127.0.0.1:4420: connection closed by the target');
    expect(describeError(err, connected).message).toBe('lost the connection to 127.0.0.1:4420: connection closed by the target');
  });

  it("keeps the transport's own words for a timeout, which name the step that ran out of time", () => {
    const tcp = new TransportError('NVMe/TCP qid 0 to 127.0.0.1:4420: no ICResp within 300 ms', 'ETIMEDOUT');
    expect(describeError(tcp, connecting).message).toBe('cannot connect to 127.0.0.1:4420: no ICResp within 300 ms');
    const init = new TransportError('controller initialization: state ENABLE_WAIT_FOR_READY_1 did not finish within 500 ms', 'ETIMEDOUT');
    expect(describeError(init, connecting).message).toBe(`cannot connect to 127.0.0.1:4420: ${init.message}`);
  });

  it('names the command that got no completion', () => {
    const err = new CommandTimeoutError('IDENTIFY (06) qid:0 cid:3 nsid:0 cdw10:00000001 cdw11:00000000', 30000);
    expect(describeError(err, connected)).toEqual({
      message: `127.0.0.1:4420: ${err.command} got no completion within 30000 ms`,
      exitCode: ExitCode.FAILURE,
    });
  });

  it('reports a status error after connecting with the command it answered', () => {
    const err = new NvmeStatusError({ sct: StatusCodeType.GENERIC, sc: GenericStatus.INTERNAL_ERROR, crd: 0, more: false, dnr: true }, 'GET LOG PAGE');
    expect(describeError(err, connected).message).toBe(`127.0.0.1:4420: ${err.message}`);
    expect(describeError(err, connecting).message).toBe(`cannot initialize the controller at 127.0.0.1:4420: ${err.message}`);
  });

  it('suspects a peer that breaks the protocol while connecting of not being an NVMe-oF target', () => {
    const err = new ProtocolError('pdu-type', 0x48, 'expected ICResp');
    expect(describeError(err, connecting).message).toBe(
      `cannot connect to 127.0.0.1:4420: protocol error: ${err.message} (is it an NVMe-oF target?)`,
    );
  });

  it('passes anything else through as a runtime failure', () => {
    expect(describeError(new Error('boom'), connected)).toEqual({ message: 'boom', exitCode: ExitCode.FAILURE });
    expect(describeError('odd', connected)).toEqual({ message: 'odd', exitCode: ExitCode.FAILURE });
  });
});

describe('describeError on Connect rejections from the driver', () => {
  let fake: FakeController;
  const trid = `trtype:RDMA adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:${SUBNQN}`;
  const ctx: ErrorContext = { trid: parseTransportId(trid), hostnqn: HOSTNQN, connected: false };

  beforeEach(() => {
    fake = new FakeController();
    registerTransport(new FakeTransport(fake));
  });

  afterEach(() => expect(fake.faults).toEqual([]));

  /** What connect() throws when the fake answers Connect with `answer`, worded for the user. */
  async function rejectedWith(answer: Answer): Promise<string> {
    fake.connectAnswer = answer;
    const err = await connect(trid, { hostnqn: HOSTNQN }).then(
      () => new Error('connect succeeded'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectRejectedError);
    const failure = describeError(err, ctx);
    expect(failure.exitCode).toBe(ExitCode.FAILURE);
    return failure.message;
  }

  const specific = (sc: number, cdw0 = 0): Answer => ({ status: { sct: StatusCodeType.COMMAND_SPECIFIC, sc, dnr: true }, cdw0 });

  it('names the host a subsystem does not allow', async () => {
    const answer = specific(FabricsCommandStatus.CONNECT_INVALID_HOST, connectInvalidParameterCdw0(true, ConnectDataOffset.HOSTNQN));
    expect(await rejectedWith(answer)).toBe(`host ${HOSTNQN} is not allowed by subsystem ${SUBNQN} on 127.0.0.1:4420`);
  });

  it('says the subsystem does not exist when the SUBNQN is the invalid parameter', async () => {
    const answer = specific(FabricsCommandStatus.CONNECT_INVALID_PARAMETERS, connectInvalidParameterCdw0(true, ConnectDataOffset.SUBNQN));
    expect(await rejectedWith(answer)).toBe(`subsystem ${SUBNQN} not found on 127.0.0.1:4420`);
  });

  it('names any other invalid parameter, in the data or in the command', async () => {
    const answer = specific(FabricsCommandStatus.CONNECT_INVALID_PARAMETERS, connectInvalidParameterCdw0(true, ConnectDataOffset.CNTLID));
    expect(await rejectedWith(answer)).toBe(`127.0.0.1:4420 rejected the Connect to ${SUBNQN}: invalid CNTLID in the connect data`);
    const sqsize = specific(FabricsCommandStatus.CONNECT_INVALID_PARAMETERS, connectInvalidParameterCdw0(false, FabricsSqeOffset.SQSIZE));
    expect(await rejectedWith(sqsize)).toBe(`127.0.0.1:4420 rejected the Connect to ${SUBNQN}: invalid SQSIZE in the connect command`);
    const nowhere = specific(FabricsCommandStatus.CONNECT_INVALID_PARAMETERS, connectInvalidParameterCdw0(true, 3));
    expect(await rejectedWith(nowhere)).toBe(`127.0.0.1:4420 rejected the Connect to ${SUBNQN}: invalid parameters`);
  });

  it('decides on the typed error, not on the wording of its message', () => {
    const lookalike = new NvmeStatusError(
      { sct: StatusCodeType.COMMAND_SPECIFIC, sc: FabricsCommandStatus.CONNECT_INVALID_PARAMETERS, crd: 0, more: false, dnr: true },
      `FABRIC CONNECT qid:0 cntlid:0xffff subnqn:${SUBNQN} hostnqn:${HOSTNQN} (invalid parameter: SUBNQN in the connect data)`,
      0x7f,
      connectInvalidParameterCdw0(true, ConnectDataOffset.SUBNQN),
    );
    expect(describeError(lookalike, ctx).message).toBe(`cannot initialize the controller at 127.0.0.1:4420: ${lookalike.message}`);
  });

  it('explains a busy controller, and falls back to the status name for the rest', async () => {
    expect(await rejectedWith(specific(FabricsCommandStatus.CONNECT_CONTROLLER_BUSY))).toBe(
      `subsystem ${SUBNQN} on 127.0.0.1:4420 has no controller free for this host (CONNECT CONTROLLER BUSY)`,
    );
    expect(await rejectedWith({ status: { sct: StatusCodeType.GENERIC, sc: GenericStatus.INTERNAL_ERROR, dnr: true } })).toBe(
      `127.0.0.1:4420 rejected the Connect to ${SUBNQN}: INTERNAL DEVICE ERROR`,
    );
  });
});
