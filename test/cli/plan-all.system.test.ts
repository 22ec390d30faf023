import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import type { Plan } from "../../program/plan";
import { REPO_ROOT, runCli } from "../support/cli";
import { validRawValues } from "../support/configs";
import { runMain } from "../support/contract";

// `plan --all` starts warm processes of bin/retain-m365.js (cli/plan-workers.ts): the real
// executable, run as a process. Each plan is held to the stack's own `plan --stack`, run in-process.

const tmp = mkdtempSync(path.join(tmpdir(), "retain-plan-all-"));

describe("plan --all: every stack, planned in warm processes", () => {
  const stackFolder = (stacks: Record<string, Record<string, unknown>>) => {
    const dir = mkdtempSync(path.join(tmp, "stacks-"));
    for (const [name, config] of Object.entries(stacks)) writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), stringify({ config }));
    return dir;
  };
  const tenant = (n: number, domain: string) => ({
    ...validRawValues(),
    "azuread:tenantId": `00000000-0000-4000-8000-00000000000${n}`,
    "cloudflare:apiToken": { secure: `v1:token-ciphertext-${n}` },
    "retain-m365:domains": [{ name: domain, zoneId: "0123456789abcdef0123456789abcdef" }],
    "retain-m365:adminUser": { userPrincipalName: `retain-sync@${domain}` },
    "retain-m365:workerUser": { userPrincipalName: `RetainWorker@${domain}`, usageLocation: "DE", licenseSku: "EXCHANGESTANDARD" },
  });

  it("renders every stack in stacks/, each plan the same as that stack's own plan", async () => {
    const result = runCli(["plan", "--all", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const { stacks } = JSON.parse(result.stdout) as { stacks: Plan[] };
    const files = readdirSync(path.join(REPO_ROOT, "stacks")).filter((name) => /^Pulumi\..+\.yaml$/.test(name));
    assert.deepEqual(
      stacks.map((plan) => `Pulumi.${plan.stack}.yaml`),
      files.sort(),
    );
    for (const plan of stacks) assert.deepEqual(plan, JSON.parse((await runMain(["plan", "--stack", plan.stack, "--json"])).stdout));
  });

  it("plans each stack of a folder as its own tenant, in stack order", () => {
    const dir = stackFolder({ fabrikam: tenant(2, "fabrikam.com"), contoso: tenant(3, "contoso.com") });
    const result = runCli(["plan", "--all", "--stacks-dir", dir, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const { stacks } = JSON.parse(result.stdout) as { stacks: Plan[] };
    assert.deepEqual(
      stacks.map((plan) => plan.stack),
      ["contoso", "fabrikam"],
    );
    for (const [plan, domain] of [
      [stacks[0]!, "contoso.com"],
      [stacks[1]!, "fabrikam.com"],
    ] as const) {
      const cname = plan.steps.find((step) => step.newState.inputs.name === `autodiscover.${domain}`);
      assert.ok(cname, `${plan.stack} declares autodiscover.${domain}`);
      assert.match(cname.urn, new RegExp(`^urn:pulumi:${plan.stack}::`));
    }
    assert.ok(!result.stdout.includes("token-ciphertext"));
    const table = runCli(["plan", "--all", "--stacks-dir", dir]);
    assert.match(table.stdout, /Plan for stack `contoso`[\s\S]*Plan for stack `fabrikam`/);
  });

  it("plans a folder of differing stacks in a few warm processes, each plan the same as the stack's own `plan --stack`", async () => {
    const dir = stackFolder({
      alpha: tenant(2, "alpha.example"),
      bravo: { ...tenant(3, "bravo.example"), "retain-m365:exchangeAccess": { mode: "application-impersonation" } },
      charlie: {
        ...tenant(4, "charlie.example"),
        "retain-m365:domains": [{ name: "charlie.example", zoneId: "0123456789abcdef0123456789abcdef", microsoft365Records: true }],
      },
      delta: tenant(5, "delta.example"),
      echo: { ...tenant(6, "echo.example"), "retain-m365:directorySync": { outputDir: "/srv/retain/cfg", backups: 3 } },
    });
    const result = runCli(["plan", "--all", "--stacks-dir", dir, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const { stacks } = JSON.parse(result.stdout) as { stacks: Plan[] };
    assert.deepEqual(
      stacks.map((plan) => plan.stack),
      ["alpha", "bravo", "charlie", "delta", "echo"],
    );
    assert.notDeepEqual(
      stacks[1]!.steps.map((step) => step.newState.type),
      stacks[0]!.steps.map((step) => step.newState.type),
      "the stacks differ",
    );
    for (const plan of stacks) {
      const own = await runMain(["plan", "--stack", plan.stack, "--stacks-dir", dir, "--json"]);
      assert.equal(own.code, 0, own.stderr);
      assert.deepEqual(plan, JSON.parse(own.stdout), `stack ${plan.stack}`);
    }
  });
});
