import * as grpc from "@grpc/grpc-js";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { RequirePulumiVersionResponse, type LogRequest, type RequirePulumiVersionRequest } from "@pulumi/pulumi/proto/engine_pb";

export interface EngineStandInOptions {
  /** The version the stand-in CLI reports, x.y.z. */
  cliVersion: string;
  /**
   * Whether the CLI has the `RequirePulumiVersion` RPC. The real CLI has it from 3.217.0 (pulumi/pulumi
   * CHANGELOG 3.217.0; sdk/nodejs/runtime/settings.ts), so the default follows `cliVersion`: older
   * ones answer UNIMPLEMENTED. `false` on a newer version stands for an engine that lacks it anyway.
   */
  requirePulumiVersion?: boolean;
}

export interface EngineStandIn {
  /** host:port, for PULUMI_NODEJS_ENGINE. */
  address: string;
  /** Every range a program asked about, in order. */
  requestedRanges: string[];
  /** Every message logged to the engine. */
  logs: { severity: number; message: string }[];
  /** Requests the stand-in could not judge (answered with an error): a test should find none. */
  problems: string[];
  close(): Promise<void>;
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;
/** The first Pulumi CLI with the engine's `RequirePulumiVersion` RPC (pulumi/pulumi CHANGELOG). */
export const REQUIRE_PULUMI_VERSION_RPC_SINCE = "3.217.0";
const AT_LEAST = /^>=\s*(\d+\.\d+\.\d+)$/;

function compareVersions(a: string, b: string): number {
  const [pa, pb] = [VERSION.exec(a)!.slice(1).map(Number), VERSION.exec(b)!.slice(1).map(Number)];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/**
 * A loopback stand-in of the Pulumi CLI's engine service (what PULUMI_NODEJS_ENGINE names), served
 * with the Engine service definition that @pulumi/pulumi ships. `requirePulumiVersion` answers as the
 * CLI does (pulumi/pulumi pkg/resource/plugin ValidatePulumiVersionRange: a gRPC error "Pulumi CLI
 * version X does not satisfy the version range R") for ">=x.y.z" ranges and refuses any other range
 * loudly; `log` is recorded; every other method answers UNIMPLEMENTED (grpc-js's default). A CLI
 * older than 3.217.0 has no such RPC: the request is recorded and answered UNIMPLEMENTED, as grpc-go
 * answers a method its server does not register.
 */
export async function startEngineStandIn(options: EngineStandInOptions): Promise<EngineStandIn> {
  if (!VERSION.test(options.cliVersion)) throw new Error(`engine stand-in: CLI version ${options.cliVersion} is not x.y.z`);
  const hasRpc = compareVersions(options.cliVersion, REQUIRE_PULUMI_VERSION_RPC_SINCE) >= 0;
  if (options.requirePulumiVersion === true && !hasRpc) {
    throw new Error(`engine stand-in: no Pulumi CLI ${options.cliVersion} has the RequirePulumiVersion RPC (it came in ${REQUIRE_PULUMI_VERSION_RPC_SINCE})`);
  }
  const answersRpc = options.requirePulumiVersion ?? hasRpc;
  const requestedRanges: string[] = [];
  const logs: EngineStandIn["logs"] = [];
  const problems: string[] = [];

  const implementation: grpc.UntypedServiceImplementation = {
    log: (call: grpc.ServerUnaryCall<LogRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage() });
      callback(null, {});
    },
    requirePulumiVersion: (
      call: grpc.ServerUnaryCall<RequirePulumiVersionRequest, RequirePulumiVersionResponse>,
      callback: grpc.sendUnaryData<RequirePulumiVersionResponse>,
    ) => {
      const range = call.request.getPulumiVersionRange();
      requestedRanges.push(range);
      const minimum = AT_LEAST.exec(range)?.[1];
      if (!answersRpc) {
        // What grpc-go answers for a method the CLI's Engine server does not have.
        callback({ code: grpc.status.UNIMPLEMENTED, details: "unknown method RequirePulumiVersion for service pulumirpc.Engine" });
      } else if (!minimum) {
        problems.push(`cannot judge the range ${JSON.stringify(range)}`);
        callback({ code: grpc.status.INTERNAL, details: `engine stand-in: cannot judge the range ${JSON.stringify(range)} (only >=x.y.z)` });
      } else if (compareVersions(options.cliVersion, minimum) < 0) {
        callback({
          code: grpc.status.UNKNOWN,
          details: `Pulumi CLI version ${options.cliVersion} does not satisfy the version range ${JSON.stringify(range)}`,
        });
      } else {
        callback(null, new RequirePulumiVersionResponse());
      }
    },
  };

  // Log answers google.protobuf.Empty, which is zero bytes on the wire; the shipped serializer wants
  // google-protobuf's own Empty class, a package this project does not depend on directly.
  const service = { ...EngineService, log: { ...EngineService.log, responseSerialize: () => Buffer.alloc(0) } };
  const server = new grpc.Server();
  server.addService(service, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    address: `127.0.0.1:${port}`,
    requestedRanges,
    logs,
    problems,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
