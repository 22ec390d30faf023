import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  retentionPolicyInputFailures,
  retentionPolicyProvider,
  retentionRuleName,
  type RetentionPolicyInputs,
  type RetentionPolicyOutputs,
} from "../../components/compliance/retention-policy";
import { retentionPolicyPermissions } from "../../components/compliance/retention-policy/permissions";
import { ExitCode, UserFacingError } from "../../core/errors";
import { startMockRuntime } from "../../program/mock-runtime";
import { complianceWrites, retentionPolicy, retentionRule, type ComplianceState } from "../../emulators/compliance";
import type { GraphEmulator } from "../../emulators/graph";
import { DEPLOYER_CLIENT_ID, rejection, runSerializedProviders, TENANT_ID } from "../support/deployer";
import { useComplianceEmulator } from "../support/compliance";

// The RetentionPolicy provider against the Security & Compliance emulator: create, read back,
// update of the days, adoption of a policy of the name, a refresh that notices a policy removed or
// changed by hand, delete, and a refusal naming the role.

const NAME = "Retain - keep mailbox items until archived";
let compliance: GraphEmulator;
let state: ComplianceState;
useComplianceEmulator(["Compliance Administrator"], (emulators) => ({ compliance, state } = emulators));

const inputs = (changes: Partial<RetentionPolicyInputs> = {}): RetentionPolicyInputs => ({
  tenantId: TENANT_ID,
  complianceEndpoint: compliance.url,
  name: NAME,
  retainDays: 90,
  exchangeLocation: "All",
  ...changes,
});

async function created(changes: Partial<RetentionPolicyInputs> = {}): Promise<{ id: string; outs: RetentionPolicyOutputs }> {
  const { id, outs } = await retentionPolicyProvider.create!(inputs(changes));
  assert.ok(outs);
  return { id, outs };
}

const ruleOfPolicy = () => state.rules.find((rule) => rule.Policy === state.policies[0]?.Guid);

describe("RetentionPolicy: argument checks (a pure function)", () => {
  it("accepts days from 1 to 3650 or unlimited, All or a list of mailboxes", () => {
    for (const retainDays of [1, 90, 3650, "unlimited" as const]) assert.deepEqual(retentionPolicyInputFailures(inputs({ retainDays })), []);
    assert.deepEqual(retentionPolicyInputFailures(inputs({ exchangeLocation: ["user1@example.com"] })), []);
  });

  it("refuses other days, a mixed or empty location, a missing or overlong name, an http endpoint", () => {
    const reasons = (changes: Record<string, unknown>) => retentionPolicyInputFailures({ ...inputs(), ...changes }).map((f) => f.property);
    for (const retainDays of [0, 3651, 1.5, "90", "Unlimited", null]) assert.deepEqual(reasons({ retainDays }), ["retainDays"], String(retainDays));
    for (const exchangeLocation of [[], ["All", "user1@example.com"], "all", [""]]) assert.deepEqual(reasons({ exchangeLocation }), ["exchangeLocation"]);
    assert.deepEqual(reasons({ name: "" }), ["name"]);
    assert.deepEqual(reasons({ name: "x".repeat(65) }), ["name"]);
    assert.deepEqual(reasons({ complianceEndpoint: "http://127.0.0.1:1" }), ["complianceEndpoint"]);
  });

  it("needs Global Reader to read and Compliance Administrator to write, with Exchange.ManageAsApp", () => {
    assert.match(retentionPolicyPermissions.read.entraRoles.join(), /^Global Reader/);
    assert.match(retentionPolicyPermissions.write.entraRoles.join(), /^Compliance Administrator/);
    assert.match(retentionPolicyPermissions.read.exchange.join(), /Exchange\.ManageAsApp/);
  });
});

describe("RetentionPolicy: create, read, update, delete", () => {
  it("creates the policy for every mailbox and one rule that keeps items the declared days; reads it back as recorded", async () => {
    const { id, outs } = await created();
    assert.equal(state.policies.length, 1);
    assert.deepEqual(state.policies[0]!.ExchangeLocation, ["All"]);
    assert.equal(id, state.policies[0]!.Guid);
    assert.deepEqual(
      { ...ruleOfPolicy(), Guid: undefined },
      {
        Name: retentionRuleName(NAME),
        Guid: undefined,
        Policy: id,
        RetentionDuration: 90,
        RetentionComplianceAction: "Keep",
        Disabled: false,
        Mode: "Enforce",
      },
    );
    assert.deepEqual(
      complianceWrites(state).map((c) => c.cmdlet),
      ["New-RetentionCompliancePolicy", "New-RetentionComplianceRule"],
    );
    assert.deepEqual(await retentionPolicyProvider.read!(id, outs), { id, props: outs });
    assert.equal((await retentionPolicyProvider.diff!(id, outs, inputs())).changes, false);
  });

  it("unlimited is -RetentionDuration Unlimited", async () => {
    const { id, outs } = await created({ retainDays: "unlimited" });
    assert.equal(ruleOfPolicy()?.RetentionDuration, "Unlimited");
    assert.deepEqual((await retentionPolicyProvider.read!(id, outs)).props?.retainDays, "unlimited");
  });

  it("an update of the days sets the rule's RetentionDuration, in place", async () => {
    const { id, outs } = await created();
    const diff = await retentionPolicyProvider.diff!(id, outs, inputs({ retainDays: 365 }));
    assert.deepEqual([diff.changes, diff.replaces], [true, []]);
    const { outs: updated } = await retentionPolicyProvider.update!(id, outs, inputs({ retainDays: 365 }));
    assert.equal(ruleOfPolicy()?.RetentionDuration, 365);
    assert.equal(state.policies[0]?.Guid, id, "the same policy");
    assert.deepEqual(await retentionPolicyProvider.read!(id, updated!), { id, props: updated });
  });

  it("delete removes the policy and, as Microsoft documents, its rule; a policy already gone is fine", async () => {
    const { id, outs } = await created();
    await retentionPolicyProvider.delete!(id, outs);
    assert.deepEqual([state.policies.length, state.rules.length], [0, 0]);
    await retentionPolicyProvider.delete!(id, outs);
  });
});

describe("RetentionPolicy: what exists", () => {
  it("adopts a policy of the name that keeps what is declared: nothing new is made", async () => {
    const existing = retentionPolicy(NAME, { ExchangeLocation: ["All"] });
    state.policies.push(existing);
    state.rules.push(retentionRule(existing, 90));
    const { id } = await created();
    assert.equal(id, existing.Guid);
    assert.deepEqual(complianceWrites(state), []);
  });

  it("takes over a policy of the name left without its rule (an interrupted create) and adds the rule", async () => {
    state.policies.push(retentionPolicy(NAME, { ExchangeLocation: ["All"] }));
    await created();
    assert.deepEqual(
      complianceWrites(state).map((c) => c.cmdlet),
      ["New-RetentionComplianceRule"],
    );
    assert.equal(ruleOfPolicy()?.RetentionDuration, 90);
  });

  it("refuses a policy of the name that keeps something else, saying what differs and how to settle it", async () => {
    const existing = retentionPolicy(NAME, { ExchangeLocation: ["user1@example.com"] });
    state.policies.push(existing);
    state.rules.push(retentionRule(existing, 30, "Delete"));
    const error = await rejection(retentionPolicyProvider.create!(inputs()));
    assert.match(error.message, /already exists in Purview with other settings/);
    assert.match(error.message, /keeps items 30 days, 90 here/);
    assert.match(error.message, /action is Delete, Keep here/);
    assert.match(error.message, /Remove-RetentionCompliancePolicy -Identity "Retain - keep mailbox items until archived"/);
    assert.deepEqual(complianceWrites(state), []);
  });
});

describe("RetentionPolicy: a refresh", () => {
  it("a policy removed by hand is gone, so the next deployment creates it again", async () => {
    const { id, outs } = await created();
    state.policies.length = 0;
    state.rules.length = 0;
    assert.deepEqual(await retentionPolicyProvider.read!(id, outs), { id: "" });
  });

  it("days changed by hand show, and the next deployment sets them back", async () => {
    const { id, outs } = await created();
    ruleOfPolicy()!.RetentionDuration = 30;
    const { props } = await retentionPolicyProvider.read!(id, outs);
    assert.equal(props?.retainDays, 30);
    const diff = await retentionPolicyProvider.diff!(id, props!, inputs());
    assert.deepEqual([diff.changes, diff.replaces], [true, []]);
    await retentionPolicyProvider.update!(id, props!, inputs());
    assert.equal(ruleOfPolicy()?.RetentionDuration, 90);
  });

  it("a policy turned off, or its rule set to delete, by hand shows, and the next deployment puts it back", async () => {
    const { id, outs } = await created();
    state.policies[0]!.Enabled = false;
    ruleOfPolicy()!.RetentionComplianceAction = "Delete";
    const { props } = await retentionPolicyProvider.read!(id, outs);
    assert.deepEqual([props?.enabled, props?.retentionAction], [false, "Delete"]);
    assert.equal((await retentionPolicyProvider.diff!(id, props!, inputs())).changes, true);
    await retentionPolicyProvider.update!(id, props!, inputs());
    assert.deepEqual([state.policies[0]?.Enabled, ruleOfPolicy()?.RetentionComplianceAction], [true, "Keep"]);
  });

  it("a location changed by hand means another policy: replaced, deleting the old one first (same name)", async () => {
    const { id, outs } = await created();
    state.policies[0]!.ExchangeLocation = ["user1@example.com"];
    const { props } = await retentionPolicyProvider.read!(id, outs);
    assert.deepEqual(props?.exchangeLocation, ["user1@example.com"]);
    const diff = await retentionPolicyProvider.diff!(id, props!, inputs());
    assert.deepEqual([diff.replaces, diff.deleteBeforeReplace], [["exchangeLocation"], true]);
  });

  it("a refusal is an error naming the role (exit 3), never gone", async () => {
    const { id, outs } = await created();
    state.roles = {};
    const error = await rejection(retentionPolicyProvider.read!(id, outs));
    assert.ok(error instanceof UserFacingError && error.exitCode === ExitCode.auth, error.message);
    assert.match(error.message, /HTTP 403/);
    assert.match(error.message, /needs the Entra role Global Reader and Exchange\.ManageAsApp/);
  });

  it("a deploy by a reader is refused naming Compliance Administrator (exit 3)", async () => {
    state.roles = { [DEPLOYER_CLIENT_ID]: ["Global Reader"] };
    const error = await rejection(retentionPolicyProvider.create!(inputs()));
    assert.ok(error instanceof UserFacingError && error.exitCode === ExitCode.auth, error.message);
    assert.match(error.message, /deploying the retention policy needs the Entra role Compliance Administrator/);
    assert.deepEqual(state.policies, []);
  });
});

describe("RetentionPolicy's provider, serialized", () => {
  it("works loaded on its own, as Pulumi's provider host runs it on a refresh", async (test) => {
    const runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false });
    test.after(() => runtime.stop());
    const { RetentionPolicy } = await import("../../components/compliance/retention-policy");
    new RetentionPolicy("policy", inputs());
    await runtime.settle();
    const provider = runtime.resources.find((r) => r.name === "policy")!.inputs.__provider as string;
    assert.doesNotMatch(provider, /@pulumi\/pulumi/, "its state holds no copy of Pulumi's SDK");
    const { id, outs } = await created();
    ruleOfPolicy()!.RetentionDuration = 30;
    const result = await runSerializedProviders({ policy: provider }, `return await load("policy").read(${JSON.stringify(id)}, ${JSON.stringify(outs)});`);
    assert.deepEqual(result, { id, props: { ...outs, retainDays: 30 } });
  });
});
