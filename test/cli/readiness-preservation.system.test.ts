import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, beforeEach, describe, it } from "node:test";
import { stringify } from "yaml";
import { complianceState, complianceWrites, retentionPolicy, retentionRule, startComplianceEmulator, type ComplianceState } from "../../emulators/compliance";
import { exchangeWrites } from "../../emulators/exchange";
import type { GraphEmulator } from "../../emulators/graph";
import { runMain } from "../support/contract";
import { validRawValues } from "../support/configs";
import { DEPLOYER_CLIENT_ID } from "../support/deployer";
import { useReadinessEmulator } from "../support/readiness";
import { retryWithoutWaiting } from "../support/retry-clock";

// `retain-m365 readiness` with the stack's preservation: mailboxes.preserved counts the mailboxes in
// scope an enabled retention policy keeps (ExchangeLocation All keeps them all); null without it.

const world = useReadinessEmulator();
let compliance: GraphEmulator | undefined;
let state: ComplianceState;
after(async () => {
  retryWithoutWaiting();
  await compliance?.close();
});
beforeEach(async () => {
  state = complianceState(world.tenant.exchange.tenantId, { [DEPLOYER_CLIENT_ID]: ["Global Reader"] });
  // Started here, not in a `before`: root-level `before` hooks do not wait for each other, and the
  // readiness emulator (its token endpoint) must exist first.
  compliance ??= await startComplianceEmulator(() => state, world.graph);
});

const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-readiness-preservation-"));
const stackFile = (preservation: unknown) => {
  const file = path.join(stacksDir, `Pulumi.${preservation ? "kept" : "plain"}.yaml`);
  writeFileSync(file, stringify({ config: { ...validRawValues(), ...(preservation ? { "retain-m365:preservation": preservation } : {}) } }));
  return file;
};

async function readiness(preservation: unknown = { retainDays: 90 }) {
  const endpoints = [
    "--exchange-endpoint",
    world.graph.url,
    "--compliance-endpoint",
    compliance!.url,
    "--graph-endpoint",
    world.graph.url,
    "--authority-host",
    world.graph.url,
  ];
  const result = await runMain(["readiness", "--config-file", stackFile(preservation), "--json", ...endpoints]);
  assert.deepEqual(complianceWrites(state), [], "readiness changed Purview");
  assert.deepEqual(exchangeWrites(world.tenant.exchange), [], "readiness changed Exchange");
  const report = result.stdout ? (JSON.parse(result.stdout) as { mailboxes: { inScope: number; preserved: number | null }; notices: string[] }) : undefined;
  return { code: result.code, report, stderr: result.stderr };
}

describe("retain-m365 readiness: mailboxes.preserved", () => {
  it("null when the stack has no preservation; Purview is not asked", async () => {
    state.roles = {};
    const { code, report, stderr } = await readiness(null);
    assert.equal(code, 0, stderr);
    assert.equal(report?.mailboxes.preserved, null);
    assert.deepEqual(state.commands, []);
  });

  it("an enabled policy for All keeps every mailbox in scope", async () => {
    const policy = retentionPolicy("Retain - keep mailbox items until archived", { ExchangeLocation: ["All"] });
    state.policies.push(policy);
    state.rules.push(retentionRule(policy, 90));
    const { code, report, stderr } = await readiness();
    assert.equal(code, 0, stderr);
    assert.deepEqual(report?.mailboxes, { ...report?.mailboxes, inScope: 3, preserved: 3 });
    assert.equal(
      report?.notices.some((n) => /kept by no enabled retention policy/.test(n)),
      false,
    );
  });

  it("a policy turned off, one that only deletes, one in test mode keep nothing; one naming a mailbox keeps it, unless it excepts it", async () => {
    const off = retentionPolicy("Off", { ExchangeLocation: ["All"], Enabled: false });
    const deletes = retentionPolicy("Deletes", { ExchangeLocation: ["All"] });
    const test = retentionPolicy("Simulated", { ExchangeLocation: ["All"], Mode: "Test" });
    const named = retentionPolicy("Named", { ExchangeLocation: ["user1@example.com", "user2@example.com"], ExchangeLocationException: ["user2@example.com"] });
    state.policies.push(off, deletes, test, named);
    state.rules.push(retentionRule(off, 90), retentionRule(deletes, 90, "Delete"), retentionRule(test, 90), retentionRule(named, 30, "KeepAndDelete"));
    const { report, stderr } = await readiness();
    assert.equal(report?.mailboxes.preserved, 1, stderr);
    assert.ok(
      report?.notices.includes(
        "2 of 3 mailboxes in scope are kept by no enabled retention policy: what their users delete and purge is lost until Retain archives again (deploy the stack's preservation, or see that its policy is on).",
      ),
    );
  });

  it("a Security & Compliance endpoint refusing the identity: exit 3 naming the role to add", async () => {
    state.roles = {};
    const { code, stderr } = await readiness();
    assert.equal(code, 3, stderr);
    assert.match(stderr, /Security & Compliance refused Get-RetentionCompliancePolicy -DistributionDetail/);
    assert.match(stderr, /needs Exchange\.ManageAsApp .*and the Entra role Global Reader \(or Compliance Administrator\), for the identity running readiness/);
  });
});
