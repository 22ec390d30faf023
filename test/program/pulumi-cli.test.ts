import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UserFacingError } from "../../core/errors";
import { MINIMUM_PULUMI_CLI, PulumiCliTooOldError, requirePulumiCli } from "../../program/pulumi-cli";
import { rejection } from "../support/deployer";

const needs = (answer: string) =>
  "this program needs Pulumi CLI 3.217.0 or later, " +
  `and the Pulumi CLI running it refused: ${answer}; get a newer one from https://www.pulumi.com/docs/install/`;
const TOO_OLD = needs('Pulumi CLI version 3.181.0 does not satisfy the version range ">=3.217.0"');
// A CLI from 3.182 (hooks) to 3.216 answers the RequirePulumiVersion RPC with UNIMPLEMENTED: the
// sentence must say plainly what is needed, never "needs X" about a CLI that is newer than X.
const WITHOUT_RPC =
  "this program needs Pulumi CLI 3.217.0 or later, and the Pulumi CLI running it is older than 3.217.0 " +
  "(it cannot answer the program's version check); get a newer one from https://www.pulumi.com/docs/install/";

describe("requirePulumiCli: any refusal becomes one sentence", () => {
  it("asks for >= the minimum, 3.217.0 (the RequirePulumiVersion RPC's release), and passes when the check does", async () => {
    assert.equal(MINIMUM_PULUMI_CLI, "3.217.0");
    const asked: string[] = [];
    await requirePulumiCli(async (range) => void asked.push(range));
    assert.deepEqual(asked, [">=3.217.0"]);
  });

  it("a CLI that is too old: its gRPC answer's details, exit 2, shown by Pulumi without a stack", async () => {
    // How grpc-js rejects: message "<code> <NAME>: <details>", the CLI's text in `details`.
    const grpcError = Object.assign(new Error('2 UNKNOWN: Pulumi CLI version 3.181.0 does not satisfy the version range ">=3.217.0"'), {
      code: 2,
      details: 'Pulumi CLI version 3.181.0 does not satisfy the version range ">=3.217.0"',
    });
    const error = await rejection(requirePulumiCli(() => Promise.reject(grpcError)));
    assert.ok(error instanceof PulumiCliTooOldError && error instanceof UserFacingError);
    assert.equal(error.message, TOO_OLD);
    assert.equal(error.exitCode, 2);
    assert.equal((error as unknown as { __pulumiRunError: unknown }).__pulumiRunError, true, "Pulumi's RunError.isInstance: no stack trace");
  });

  it("a CLI older than the check (the SDK's error, or grpc's UNIMPLEMENTED): says it is older than 3.217.0", async () => {
    const sdkError = new Error("The installed version of the CLI does not support the `RequirePulumiVersion` RPC. Please upgrade the Pulumi CLI.");
    assert.equal((await rejection(requirePulumiCli(() => Promise.reject(sdkError)))).message, WITHOUT_RPC);
    const unimplemented = Object.assign(new Error("12 UNIMPLEMENTED: unknown method"), { code: 12, details: "unknown method" });
    assert.equal((await rejection(requirePulumiCli(() => Promise.reject(unimplemented)))).message, WITHOUT_RPC);
  });

  it("anything else the check rejects with, on one line", async () => {
    const odd = await rejection(requirePulumiCli(() => Promise.reject(new Error("first line\n  second line"))));
    assert.equal(odd.message, needs("first line second line"));
    assert.equal((await rejection(requirePulumiCli(() => Promise.reject("a string")))).message, needs("a string"));
  });

  it("the real SDK check passes without an engine (tests, the offline plan)", async () => {
    assert.equal(process.env.PULUMI_NODEJS_ENGINE, undefined);
    await requirePulumiCli();
  });
});
