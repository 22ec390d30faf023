import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { mailboxLicenseProvider, type MailboxLicenseInputs, type MailboxLicenseOutputs } from "../../components/identity/mailbox-license";
import { startMockRuntime } from "../../program/mock-runtime";
import { setEnvironment } from "../support/environment";
import { withRecordedWaits } from "../support/retry-clock";
import { DEPLOYER_SECRET, rejection, runSerializedProviders, startDeployerEmulator, TENANT_ID as TENANT } from "../support/deployer";
import { graphError, type GraphEmulator } from "../../emulators/graph";
import { licensingRoutes, sku, type LicensingState } from "../../emulators/licensing";

const TOKEN = "graph-token-never-printed";
const EXCHANGESTANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const SPE_E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965";
const WORKER = "22222222-2222-4222-8222-222222222222";

let graph: GraphEmulator;
let state: LicensingState;
const provider = mailboxLicenseProvider;
const inputs = (overrides: Partial<MailboxLicenseInputs> = {}): MailboxLicenseInputs => ({
  tenantId: TENANT,
  userId: WORKER,
  skuPartNumber: "EXCHANGESTANDARD",
  graphEndpoint: graph.url,
  ...overrides,
});
const assignCalls = () => graph.requests.filter((r) => r.path.endsWith("/assignLicense")).length;
before(async () => {
  graph = await startDeployerEmulator({ token: TOKEN, routes: [(request, emulator) => licensingRoutes(state)(request, emulator)] });
});
after(() => graph.close());
beforeEach(() => {
  state = {
    skus: [sku("EXCHANGESTANDARD", EXCHANGESTANDARD, 5, 2), sku("SPE_E3", SPE_E3, 10, 10)],
    users: new Map([[WORKER, { id: WORKER, usageLocation: "US", assignedLicenses: [] }]]),
  };
  graph.injected.length = 0;
});

describe("MailboxLicense provider: create", () => {
  it("looks the SKU up by part number and assigns it", async () => {
    const result = await provider.create(inputs());
    assert.equal(result.id, `${WORKER}/${EXCHANGESTANDARD}`);
    assert.equal(result.outs?.skuId, EXCHANGESTANDARD);
    assert.deepEqual(
      state.users.get(WORKER)?.assignedLicenses.map((l) => l.skuId),
      [EXCHANGESTANDARD],
    );
    assert.equal(state.skus[0]?.consumedUnits, 3);
  });

  it("adopts a licence that is already assigned, without assigning again", async () => {
    state.users.get(WORKER)!.assignedLicenses.push({ skuId: EXCHANGESTANDARD, disabledPlans: [] });
    const before = assignCalls();
    const result = await provider.create(inputs({ skuPartNumber: "exchangestandard" }));
    assert.equal(result.outs?.skuId, EXCHANGESTANDARD);
    assert.equal(assignCalls(), before);
    assert.equal(state.skus[0]?.consumedUnits, 2);
  });

  it("refuses an unknown SKU, listing the tenant's SKUs and free units", async () => {
    const error = await rejection(provider.create(inputs({ skuPartNumber: "O365_BUSINESS_PREMIUM" })));
    assert.equal(
      error.message,
      `licence SKU O365_BUSINESS_PREMIUM is not subscribed in tenant ${TENANT}; the tenant has: EXCHANGESTANDARD (3 free), SPE_E3 (0 free)`,
    );
  });

  it("refuses when no unit is free, saying so", async () => {
    const error = await rejection(provider.create(inputs({ skuPartNumber: "SPE_E3" })));
    assert.match(error.message, /^no free units of licence SPE_E3: 10 of 10 are assigned/);
    assert.deepEqual(state.users.get(WORKER)?.assignedLicenses, []);
  });

  it("waits out a 429 with Retry-After, then succeeds", async () => {
    graph.injected.push({ ...graphError(429, "TooManyRequests", "Too many requests"), headers: { "retry-after": "1" } });
    const { value: result, waits } = await withRecordedWaits(() => provider.create(inputs()));
    assert.deepEqual(waits, [1000], "Retry-After: 1 was honoured");
    assert.equal(result.outs?.skuId, EXCHANGESTANDARD);
  });

  it("retries 5xx answers with backoff, then succeeds", async () => {
    graph.injected.push(graphError(503, "ServiceUnavailable", "Service unavailable"), graphError(500, "InternalServerError", "boom"));
    const { value: result, waits } = await withRecordedWaits(() => provider.create(inputs()));
    assert.equal(result.outs?.skuId, EXCHANGESTANDARD);
    assert.equal(state.skus[0]?.consumedUnits, 3);
    // core/retry.ts's backoff: 1 s, then 2 s, each jittered down by up to half.
    assert.equal(waits.length, 2, `waits ${waits.join(", ")}`);
    assert.ok(waits[0]! >= 500 && waits[0]! <= 1000 && waits[1]! >= 1000 && waits[1]! <= 2000, `waits ${waits.join(", ")}`);
  });

  it("surfaces Graph's own message for a refused assignment", async () => {
    state.users.get(WORKER)!.usageLocation = undefined;
    const error = await rejection(provider.create(inputs()));
    assert.match(
      error.message,
      /assigning licence EXCHANGESTANDARD to user .*HTTP 400 Request_BadRequest: License assignment cannot be done for user with invalid usage location/,
    );
  });

  it("fails on a user that does not exist", async () => {
    const error = await rejection(provider.create(inputs({ userId: "33333333-3333-4333-8333-333333333333" })));
    assert.match(error.message, /user 33333333-3333-4333-8333-333333333333 does not exist/);
  });

  it("reports a rejected deployer credential without repeating secret or token", async () => {
    const restoreSecret = setEnvironment({ AZURE_CLIENT_SECRET: "wrong-secret" });
    try {
      const error = await rejection(provider.create(inputs()));
      assert.match(error.message, /invalid_client|Invalid client secret/);
      for (const secret of ["wrong-secret", DEPLOYER_SECRET, TOKEN]) assert.ok(!error.message.includes(secret));
    } finally {
      restoreSecret();
    }
  });
});

describe("MailboxLicense provider: check, diff, update, delete", () => {
  const outputs = (overrides: Partial<MailboxLicenseOutputs> = {}): MailboxLicenseOutputs => ({ ...inputs(), skuId: EXCHANGESTANDARD, ...overrides });

  it("check names missing or bad inputs", async () => {
    const result = await provider.check!(inputs(), { ...inputs(), userId: "", graphEndpoint: "http://graph" });
    assert.deepEqual(result.failures, [
      { property: "userId", reason: "is required" },
      { property: "graphEndpoint", reason: "must be an https:// URL" },
    ]);
  });

  it("diff: nothing changed, a new SKU or user replaces, a new endpoint updates in place", async () => {
    assert.deepEqual(await provider.diff!("id", outputs(), inputs()), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual((await provider.diff!("id", outputs(), inputs({ skuPartNumber: "SPE_E3" }))).replaces, ["skuPartNumber"]);
    assert.deepEqual((await provider.diff!("id", outputs(), inputs({ skuPartNumber: "ExchangeStandard" }))).changes, false);
    assert.deepEqual((await provider.diff!("id", outputs(), inputs({ userId: "other" }))).replaces, ["userId"]);
    const moved = await provider.diff!("id", outputs(), inputs({ graphEndpoint: "https://graph.microsoft.us" }));
    assert.deepEqual([moved.changes, moved.replaces], [true, []]);
    const updated = await provider.update!("id", outputs(), inputs({ graphEndpoint: "https://graph.microsoft.us" }));
    assert.equal(updated.outs?.skuId, EXCHANGESTANDARD);
  });

  it("delete removes only this licence", async () => {
    state.users.get(WORKER)!.assignedLicenses.push({ skuId: EXCHANGESTANDARD, disabledPlans: [] }, { skuId: SPE_E3, disabledPlans: [] });
    await provider.delete!("id", outputs());
    assert.deepEqual(
      state.users.get(WORKER)?.assignedLicenses.map((l) => l.skuId),
      [SPE_E3],
    );
  });

  it("delete is a no-op when the licence or the user is already gone", async () => {
    const before = assignCalls();
    await provider.delete!("id", outputs());
    await provider.delete!("id", outputs({ userId: "44444444-4444-4444-8444-444444444444" }));
    assert.equal(assignCalls(), before);
  });
});

describe("MailboxLicense provider: read (a refresh)", () => {
  const createOne = async () => {
    const { id, outs } = await provider.create(inputs());
    assert.ok(outs);
    return { id, outs };
  };

  it("untouched: reads back exactly what create recorded, calling only the user's licences", async () => {
    const { id, outs } = await createOne();
    const before = graph.requests.length;
    assert.deepEqual(await provider.read!(id, outs), { id, props: outs });
    assert.deepEqual(
      graph.requests.slice(before).map((r) => `${r.method} ${r.path}`),
      [`GET /v1.0/users/${WORKER}`],
    );
  });

  it("the licence removed by hand: gone, and the next deployment assigns it again", async () => {
    const { id, outs } = await createOne();
    state.users.get(WORKER)!.assignedLicenses = [{ skuId: SPE_E3, disabledPlans: [] }];
    assert.deepEqual(await provider.read!(id, outs), { id: "" });
    await provider.create(inputs());
    assert.deepEqual(
      state.users.get(WORKER)?.assignedLicenses.map((l) => l.skuId),
      [SPE_E3, EXCHANGESTANDARD],
    );
  });

  it("the user deleted by hand: gone", async () => {
    const { id, outs } = await createOne();
    state.users.delete(WORKER);
    assert.deepEqual(await provider.read!(id, outs), { id: "" });
  });

  it("a refused read is an error naming the permission, not gone", async () => {
    const { id, outs } = await createOne();
    graph.injected.push(graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."));
    const error = await rejection(provider.read!(id, outs));
    assert.equal(
      error.message,
      `reading the licences of user ${WORKER}: Graph answered HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.; this needs the Graph application permission User.Read.All`,
    );
  });
});

describe("MailboxLicense provider: serialization", () => {
  it("serializes under the mock runtime, and the serialized provider works loaded on its own", async (t) => {
    const runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false });
    t.after(() => runtime.stop());
    const { MailboxLicense } = await import("../../components/identity/mailbox-license");
    new MailboxLicense("worker-licence", { tenantId: TENANT, userId: WORKER, skuPartNumber: "EXCHANGESTANDARD", graphEndpoint: graph.url });
    await runtime.settle();
    const registered = runtime.resources.find((r) => r.name === "worker-licence");
    assert.equal(registered?.type, "pulumi-nodejs:dynamic/identity:MailboxLicense");
    const text = registered?.inputs.__provider;
    assert.equal(typeof text, "string");
    assert.doesNotMatch(text as string, /@pulumi\/pulumi/, "its state holds no copy of Pulumi's SDK");
    const created = await runSerializedProviders({ licence: text as string }, `return load("licence").create(${JSON.stringify(inputs())});`);
    assert.equal((created as { outs: MailboxLicenseOutputs }).outs.skuId, EXCHANGESTANDARD);
    assert.deepEqual(
      state.users.get(WORKER)?.assignedLicenses.map((l) => l.skuId),
      [EXCHANGESTANDARD],
    );
    state.users.get(WORKER)!.assignedLicenses = [];
    const { id, outs } = created as { id: string; outs: MailboxLicenseOutputs };
    assert.deepEqual(
      await runSerializedProviders({ licence: text as string }, `return load("licence").read(${JSON.stringify(id)}, ${JSON.stringify(outs)});`),
      { id: "" },
    );
  });
});
