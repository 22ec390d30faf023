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

/** Every resource type the example stack plans, with preservation on, and with its domains kept by hand. */
async function plannedTypes(): Promise<Set<string>> {
  const example = (parse(readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
  const manualDomains = (example["retain-m365:domains"] as { name: string }[]).map(({ name }) => ({ name, provider: "manual" }));
  const variants = [
    { ...example, "retain-m365:preservation": { retainDays: 365 } },
    { ...example, "retain-m365:domains": manualDomains },
  ];
  const types = new Set<string>();
  const dir = mkdtempSync(path.join(tmpdir(), "retain-picture-"));
  for (const [i, config] of variants.entries()) {
    const file = path.join(dir, `Pulumi.picture-${i}.yaml`);
    writeFileSync(file, stringify({ config }));
    const result = await runMain(["plan", "--config-file", file, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    for (const step of (JSON.parse(result.stdout) as Plan).steps) types.add(step.newState.type);
  }
  return types;
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
