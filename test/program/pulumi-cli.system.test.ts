import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, runCli, runCliAsync, type CliResult } from "../support/cli";
import { startEngineStandIn, type EngineStandIn } from "../../emulators/pulumi-engine";

// The CLI as Pulumi's engine runs a program: a process given the engine's address
// (PULUMI_NODEJS_ENGINE), and with `plan --all` each stack's process too. pulumi-cli.test.ts
// holds the version check itself in-process.

// A CLI from 3.182 (hooks) to 3.216 answers the RequirePulumiVersion RPC with UNIMPLEMENTED: the
// sentence must say plainly what is needed, never "needs X" about a CLI that is newer than X.
const WITHOUT_RPC =
  "this program needs Pulumi CLI 3.217.0 or later, and the Pulumi CLI running it is older than 3.217.0 " +
  "(it cannot answer the program's version check); get a newer one from https://www.pulumi.com/docs/install/";

const noStackTrace = (r: CliResult) => assert.doesNotMatch(r.stderr + r.stdout, /^\s+at .+:\d+:\d+\)?$/m);

describe("retain-m365 plan through the Pulumi engine's version check", () => {
  const engines: EngineStandIn[] = [];
  const engine = async (cliVersion: string) => {
    const started = await startEngineStandIn({ cliVersion });
    engines.push(started);
    return started;
  };
  // Asynchronous: this process serves the engine the CLI's program talks to.
  const planWith = (stand: EngineStandIn, args = ["plan", "--stack", "example"]) => runCliAsync(args, { env: { PULUMI_NODEJS_ENGINE: stand.address } });
  let plain: CliResult;
  before(() => {
    plain = runCli(["plan", "--stack", "example"]);
    assert.equal(plain.code, 0, plain.stderr);
  });
  after(async () => {
    await Promise.all(engines.map((e) => e.close()));
    for (const e of engines) assert.deepEqual(e.problems, [], "the stand-in judged every range it was asked");
  });

  // 3.182–3.216 run resource hooks but predate the RPC (it came in 3.217.0): exit 2, the sentence
  // alone on stderr, nothing on stdout, and no self-contradiction.
  for (const version of ["3.181.0", "3.200.0", "3.216.0"]) {
    it(`CLI ${version}, without the RequirePulumiVersion RPC: says plainly that 3.217.0 or later is needed`, async () => {
      const cli = await engine(version);
      const result = await planWith(cli);
      assert.deepEqual(result, { code: 2, stdout: "", stderr: `retain-m365: ${WITHOUT_RPC}\n` });
      assert.deepEqual(cli.requestedRanges, [">=3.217.0"]);
      noStackTrace(result);
    });
  }

  for (const version of ["3.217.0", "3.270.0"]) {
    it(`CLI ${version}: the plan renders as it does without an engine`, async () => {
      const cli = await engine(version);
      const result = await planWith(cli);
      assert.deepEqual(result, plain);
      assert.deepEqual(cli.requestedRanges, [">=3.217.0"], "the program asked the engine");
    });
  }

  it("plan --all: each stack's process gets the engine, and the failure is reported per stack", async () => {
    const cli = await engine("3.200.0");
    const stacks = readdirSync(path.join(REPO_ROOT, "stacks"))
      .map((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1])
      .filter((stack): stack is string => stack !== undefined)
      .sort((a, b) => a.localeCompare(b));
    const result = await planWith(cli, ["plan", "--all", "--json"]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      `retain-m365: the plan of ${stacks.length} of ${stacks.length} stacks failed:\n${stacks.map((s) => `  - ${s}: ${WITHOUT_RPC}\n`).join("")}`,
    );
    assert.equal(cli.requestedRanges.length, stacks.length, "one check per stack process");
    noStackTrace(result);
  });
});
