import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { REPO_ROOT } from "../support/cli";
import { runSerializedProviders } from "../support/deployer";
import { runProgram, type ProgramRun } from "../support/run-program";

// Every other test loads the TypeScript through tsx. `pulumi up` does not: Pulumi's Node.js host
// registers the project's own ts-node and typescript with its tsconfig.json (@pulumi/pulumi's
// cmd/run/run.js and tsutils.js; the SDK's vendored ts-node 7 only when the project has none), and the
// dynamic providers stored in each resource's state are serialized from the JavaScript ts-node
// emits. Pulumi's host also has ts-node check types, unless PULUMI_NODEJS_TRANSPILE_ONLY=true or
// tsconfig's `noCheck` says not to (neither is set here: a deploy checks them again, about 3 s).
// Types are `npm run typecheck`'s to check, so ts-node only transpiles here: the JavaScript it
// emits is the same either way.

const STACK = path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml");

/** A resource's inputs as its provider receives them: secrets as their values. */
function asSent(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asSent);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]![0] === "secret") return asSent(entries[0]![1]);
  return Object.fromEntries(entries.map(([key, inner]) => [key, asSent(inner)]));
}

/** The resources in name order (registration order follows promise timing), a client secret's end date (counted from now) left out. */
function comparable(run: ProgramRun): ProgramRun["resources"] {
  return run.resources
    .map((resource) => ({ ...resource, inputs: { ...resource.inputs, ...("endDate" in resource.inputs ? { endDate: "(from now)" } : {}) } }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe("the program as `pulumi up` loads it: ts-node with the project's tsconfig.json", () => {
  it("declares what it declares under tsx, and each dynamic provider serialized there works loaded on its own", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--require", "ts-node/register", path.join(REPO_ROOT, "test", "support", "ts-node-program.ts"), STACK],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NODE_OPTIONS: "", TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json"), TS_NODE_TRANSPILE_ONLY: "true" },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const underTsNode = JSON.parse(stdout) as ProgramRun;
    const underTsx = await runProgram(STACK);
    assert.equal(underTsNode.code, 0, underTsNode.stderr);
    assert.deepEqual(comparable(underTsNode), comparable(underTsx));

    const dynamic = underTsx.resources.filter((resource) => resource.type.startsWith("pulumi-nodejs:dynamic/"));
    const types = [...new Set(dynamic.map((resource) => resource.type))].sort();
    assert.ok(types.length >= 8, `the example stack declares every kind of dynamic resource: ${types.join(", ")}`);
    assert.deepEqual(Object.keys(underTsNode.providers).sort(), types);
    const shortName = (type: string) => type.slice(type.lastIndexOf(":") + 1);
    const inputs = Object.fromEntries(types.map((type) => [shortName(type), asSent(dynamic.find((resource) => resource.type === type)!.inputs)]));
    // The run's outputs are the mock runtime's stand-ins (an app id that is no GUID, say): each
    // provider answers `check` as the same provider serialized under tsx does.
    const checks = (run: ProgramRun, loader: string) =>
      runSerializedProviders(
        Object.fromEntries(types.map((type) => [`${loader}-${shortName(type)}`, run.providers[type]!])),
        `const inputs = ${JSON.stringify(inputs)};
         const answers = {};
         for (const name of Object.keys(inputs)) answers[name] = (await load(${JSON.stringify(loader)} + "-" + name).check({}, inputs[name])).failures ?? [];
         return answers;`,
      );
    const [tsNodeAnswers, tsxAnswers] = await Promise.all([checks(underTsNode, "ts-node"), checks(underTsx, "tsx")]);
    assert.deepEqual(tsNodeAnswers, tsxAnswers);
  });
});
