import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import type { Plan } from "../program/plan";
import { REPO_ROOT } from "./support/cli";
import { runMain } from "./support/contract";

const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const picture = /^## What a stack creates today\n[\s\S]*?```mermaid\n([\s\S]*?)```/m.exec(readme)?.[1] ?? "";
/** Pulumi type tokens: `<package>:<module>:<Type>`, as the plan shows them. */
const TYPE_TOKEN = /\b(?:retain-m365|azuread|cloudflare|pulumi-nodejs):[A-Za-z0-9/._-]+:[A-Z][A-Za-z]+\b/g;

/** Every resource type the example stack plans (preservation on), with its second domain kept by hand: one plan shows every kind. */
async function plannedTypes(): Promise<Set<string>> {
  const example = (parse(readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
  assert.ok(example["retain-m365:preservation"], "the example stack has preservation on");
  const [first, ...others] = example["retain-m365:domains"] as { name: string }[];
  const config = { ...example, "retain-m365:domains": [first, ...others.map(({ name }) => ({ name, provider: "manual" }))] };
  const file = path.join(mkdtempSync(path.join(tmpdir(), "retain-picture-")), "Pulumi.picture.yaml");
  writeFileSync(file, stringify({ config }));
  const result = await runMain(["plan", "--config-file", file, "--json"]);
  assert.equal(result.code, 0, result.stderr);
  return new Set((JSON.parse(result.stdout) as Plan).steps.map((step) => step.newState.type));
}

describe("README's picture of what one stack creates (Mermaid)", () => {
  let types: Set<string>;
  before(async () => {
    types = await plannedTypes();
  });

  it("is there, as a Mermaid flowchart GitHub draws", () => {
    assert.match(picture, /^flowchart /);
  });

  it("names only resource types the program plans", () => {
    const named = [...new Set(picture.match(TYPE_TOKEN) ?? [])];
    assert.ok(named.length >= 15, named.join(", "));
    assert.deepEqual(
      named.filter((type) => !types.has(type)),
      [],
    );
  });

  it("shows every component and every kind of resource the program plans", () => {
    const named = new Set(picture.match(TYPE_TOKEN) ?? []);
    assert.deepEqual(
      [...types].filter((type) => !type.startsWith("pulumi:") && !type.startsWith("random:") && !named.has(type)),
      [],
    );
  });
});
