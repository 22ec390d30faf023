import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { policies } from "../../policy/policies";
import { REPO_ROOT } from "../support/cli";

// The policy pack as Pulumi loads it: a process of its own, which must end by itself.

describe("the policy pack, loaded by a process of its own", () => {
  it("loads without serving: importing policy/index.ts prints nothing and lets the process exit", async () => {
    const script =
      'const pack = require("./policy"); process.stdout.write(JSON.stringify({ kind: typeof pack, name: pack.packName, level: pack.args.enforcementLevel, policies: pack.args.policies.map((p) => p.name + ":" + p.enforcementLevel) }));';
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["--import", "tsx", "--eval", script], { cwd: REPO_ROOT, timeout: 60_000, encoding: "utf8" }, (error, out, err) =>
        error ? reject(new Error(`loading the pack did not end by itself (${error.message}): ${err}`)) : resolve(out),
      );
    });
    assert.deepEqual(JSON.parse(stdout), {
      kind: "function",
      name: "retain-m365",
      level: "mandatory",
      policies: policies.map((policy) => `${policy.name}:mandatory`),
    });
  });
});
