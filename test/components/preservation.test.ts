import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkPreservationArgs, type Preservation as PreservationComponent } from "../../components/compliance";
import { PRESERVATION_POLICY_NAME } from "../../components/compliance/retention-policy";
import { startMockRuntime, type MockRuntime } from "../../program/mock-runtime";
import { fakeCall, fakeOutputs } from "../support/fake-tenant";
import { resourceNamed } from "../support/resources";

const TENANT = "00000000-0000-4000-8000-000000000001";

let runtime: MockRuntime;
let Preservation: typeof PreservationComponent;

before(async () => {
  runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false, outputs: fakeOutputs, call: fakeCall });
  Preservation = (await import("../../components/compliance")).Preservation;
});
after(() => runtime.stop());

describe("Preservation (mock runtime)", () => {
  before(async () => {
    new Preservation("keep", { tenantId: TENANT, retainDays: 365 });
    await runtime.settle();
  });

  it("is a retain-m365:compliance:Preservation holding one retention policy for every mailbox, keeping items retainDays", () => {
    const component = resourceNamed(runtime.resources, "keep");
    assert.equal(component.type, "retain-m365:compliance:Preservation");
    const policy = resourceNamed(runtime.resources, "keep-retention-policy");
    assert.equal(policy.type, "pulumi-nodejs:dynamic/compliance:RetentionPolicy");
    assert.equal(policy.parent, component.urn);
    assert.deepEqual(
      { name: policy.inputs.name, retainDays: policy.inputs.retainDays, exchangeLocation: policy.inputs.exchangeLocation, tenantId: policy.inputs.tenantId },
      { name: PRESERVATION_POLICY_NAME, retainDays: 365, exchangeLocation: "All", tenantId: TENANT },
    );
  });

  it("outlives the stack: a destroy leaves the policy in Purview (retainOnDelete)", () => {
    assert.equal(resourceNamed(runtime.resources, "keep-retention-policy").retainOnDelete, true);
  });
});

describe("Preservation's argument checks (no Pulumi)", () => {
  it("takes 1 to 3650 days or unlimited, and names anything else", () => {
    for (const retainDays of [1, 90, 3650, "unlimited" as const]) assert.deepEqual(checkPreservationArgs({ tenantId: TENANT, retainDays }), []);
    for (const retainDays of [0, 3651, 1.5, -7])
      assert.deepEqual(checkPreservationArgs({ tenantId: TENANT, retainDays }), [`retainDays must be 1 to 3650 days or "unlimited", not ${retainDays}`]);
  });
});
