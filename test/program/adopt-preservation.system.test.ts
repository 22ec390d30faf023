import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { validateConfig } from "../../config/validate";
import { ExitCode, UserFacingError } from "../../core/errors";
import { credentialFromEnvironment } from "../../m365/credentials";
import { createGraphClient } from "../../m365/graph-client";
import { discoverForDeploy, discoverPreservation } from "../../program/adopt/discovery-steps";
import type { AdoptSources } from "../../program/adopt/adopt";
import { toRaw, validRawValues } from "../support/configs";
import { DEPLOYER_CLIENT_ID, rejection, startDeployerEmulator, TENANT_ID } from "../support/deployer";
import { retryWithoutWaiting } from "../support/retry-clock";
import { startCloudflareEmulator, type CloudflareEmulator } from "../../emulators/cloudflare";
import { complianceState, complianceWrites, retentionPolicy, retentionRule, startComplianceEmulator, type ComplianceState } from "../../emulators/compliance";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant } from "../../emulators/directory-tenant";
import { exchangeRoutes, exchangeState } from "../../emulators/exchange";
import { graphWrites, pagedCollection, type GraphEmulator } from "../../emulators/graph";
import { licensingRoutes, sku, type LicensingState } from "../../emulators/licensing";

// What `adopt` (and the deploy, before it declares anything) says about the stack's preservation:
// the policy's finding, every retention policy and case hold already covering Exchange, and a
// warning naming the licence when the tenant has none with retention for Exchange.

const TOKEN = "preservation-discovery-token".padEnd(40, "0");
const POLICY = "Retain - keep mailbox items until archived";
// The name plan shows for the stack contoso's retention policy.
const RESOURCE = "contoso-preservation-retention-policy";
const E3 = () => ({
  ...sku("SPE_E3", "05e9a617-0261-4cee-bb44-138d3ef5d965", 10, 3),
  servicePlans: [
    { servicePlanId: "efb87545-963c-4e0d-99df-69c6916d9eb0", servicePlanName: "EXCHANGE_S_ENTERPRISE", provisioningStatus: "Success", appliesTo: "User" },
  ],
});
const EXCHANGE_PLAN_1_ONLY = () => ({
  ...sku("EXCHANGESTANDARD", "4b9405b0-7788-4568-add1-99614e613b69", 10, 3),
  servicePlans: [
    { servicePlanId: "9aaf7827-d63c-4b61-89c3-182f06f82e5c", servicePlanName: "EXCHANGE_S_STANDARD", provisioningStatus: "Success", appliesTo: "User" },
  ],
});

let graph: GraphEmulator;
let compliance: GraphEmulator;
let cloudflare: CloudflareEmulator;
let state: ComplianceState;
let licensing: LicensingState;
before(async () => {
  graph = await startDeployerEmulator({
    token: "graph-token",
    routes: [
      (request, emulator) => licensingRoutes(licensing)(request, emulator),
      (request, emulator) =>
        /^\/domains\/[^/]+\/serviceConfigurationRecords$/.test(request.path) ? pagedCollection(emulator, request.path, request.query, [], 100) : undefined,
      (request, emulator) => directoryRoutes(directoryTenant())(request, emulator),
    ],
    adminApi: (request, emulator) => exchangeRoutes(exchangeState(TENANT_ID))(request, emulator),
  });
  compliance = await startComplianceEmulator(() => state, graph);
  cloudflare = await startCloudflareEmulator({
    token: TOKEN,
    zones: { "0123456789abcdef0123456789abcdef": "example.com", fedcba9876543210fedcba9876543210: "example.net" },
  });
});
after(async () => {
  retryWithoutWaiting();
  await compliance.close();
  await cloudflare.close();
  await graph.close();
});
beforeEach(() => {
  state = complianceState(TENANT_ID, { [DEPLOYER_CLIENT_ID]: ["Global Reader"] });
  licensing = { skus: [E3()], users: new Map() };
});

function setUp(retainDays: unknown = 90) {
  const values: Record<string, unknown> = { ...validRawValues(), "retain-m365:preservation": { retainDays } };
  values["retain-m365:domains"] = (values["retain-m365:domains"] as object[]).map((domain) => ({ ...domain, microsoft365Records: false }));
  const validation = validateConfig(toRaw(values));
  assert.ok(validation.ok, JSON.stringify(validation));
  const sources: AdoptSources = {
    cloudflare: { endpoint: cloudflare.url, token: TOKEN },
    graph: createGraphClient({ credential: credentialFromEnvironment(TENANT_ID), endpoint: graph.url }),
    exchange: { tenantId: TENANT_ID, exchangeEndpoint: graph.url },
    compliance: { tenantId: TENANT_ID, complianceEndpoint: compliance.url },
  };
  return { config: validation.config, sources };
}

async function adoptSays(retainDays: unknown = 90) {
  const { config, sources } = setUp(retainDays);
  const discovery = await discoverPreservation({ stack: "contoso", config, sources, urnOf: (name) => name });
  assert.deepEqual(complianceWrites(state), [], "adopt changed Purview");
  assert.deepEqual(graphWrites(graph), [], "adopt wrote to Graph");
  return discovery;
}

describe("adopt: the stack's retention policy", () => {
  it("none of the name: created; every other policy and hold covering Exchange is a notice, one for SharePoint alone is not", async () => {
    const seven = retentionPolicy("Seven years", { ExchangeLocation: ["All"] });
    const legal = retentionPolicy("Legal team", { ExchangeLocation: ["user1@example.com", "user2@example.com"], Enabled: false });
    const sites = retentionPolicy("Sites only", { SharePointLocation: ["All"] });
    state.policies.push(seven, legal, sites);
    state.rules.push(retentionRule(seven, 2555), retentionRule(legal, "Unlimited"), retentionRule(sites, 30, "Delete"));
    state.caseHolds.push({
      Name: "Contoso v. Fabrikam hold",
      Guid: "h1",
      Case: "Contoso v. Fabrikam",
      Enabled: true,
      DistributionStatus: "Success",
      ExchangeLocation: ["user3@example.com"],
    });
    const { findings, notices } = await adoptSays();
    assert.deepEqual(
      findings.map((f) => [f.urn, f.action]),
      [[RESOURCE, "create"]],
    );
    assert.match(findings[0]!.detail, /creates the retention policy "Retain - keep mailbox items until archived" for every mailbox, keeping items for 90 days/);
    assert.deepEqual(notices, [
      'Exchange mail is already kept: the retention policy "Seven years" covers every mailbox (Keep for 2555 days; on, Enforce, distribution Success).',
      'Exchange mail is already kept: the retention policy "Legal team" covers 2 mailboxes or groups named in it (Keep without end; off, Enforce, distribution Success).',
      'Exchange mail is already kept: the hold "Contoso v. Fabrikam hold" of the eDiscovery case "Contoso v. Fabrikam" covers 1 mailbox or group named in it (on).',
    ]);
  });

  it("one of the name keeping what is declared: adopted", async () => {
    const ours = retentionPolicy(POLICY, { ExchangeLocation: ["All"] });
    state.policies.push(ours);
    state.rules.push(retentionRule(ours, "Unlimited"));
    const { findings, notices } = await adoptSays("unlimited");
    assert.deepEqual(
      findings.map((f) => [f.urn, f.action]),
      [[RESOURCE, "adopt"]],
    );
    assert.deepEqual(notices, [], "the stack's own policy is its finding, not a notice");
  });

  it("one of the name keeping something else: a conflict settled by retain-m365:preservation.retainDays", async () => {
    const ours = retentionPolicy(POLICY, { ExchangeLocation: ["All"] });
    state.policies.push(ours);
    state.rules.push(retentionRule(ours, 30));
    const [finding] = (await adoptSays(90)).findings;
    assert.equal(finding?.action, "conflict");
    assert.equal(finding?.decide, "retain-m365:preservation.retainDays");
    assert.match(finding?.detail ?? "", /it keeps items for 30 days, for 90 days here/);
  });

  it("warns, naming the licences, when no subscription has a service plan with retention for Exchange", async () => {
    licensing.skus = [EXCHANGE_PLAN_1_ONLY()];
    const { notices } = await adoptSays();
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /^Warning: no licence of the tenant gives retention policies for Exchange mailboxes/);
    assert.match(notices[0]!, /Exchange Online \(Plan 2\).*Exchange Online Archiving.*Microsoft 365 E5 Compliance/);
  });

  it("a Security & Compliance endpoint refusing the identity: exit 3 naming the role to add", async () => {
    state.roles = {};
    const error = await rejection(adoptSays());
    assert.ok(error instanceof UserFacingError && error.exitCode === ExitCode.auth, error.message);
    assert.match(error.message, /^Security & Compliance refused Get-RetentionCompliancePolicy -DistributionDetail \(.*HTTP 403/);
    assert.match(
      error.message,
      /Reading Security & Compliance needs Exchange\.ManageAsApp .*and the Entra role Global Reader \(or Compliance Administrator\), for the identity running adopt\.$/,
    );
  });
});

describe("the deploy's reading before it declares anything", () => {
  it("warns with the other policies and the licence, and has no finding for the policy (its provider settles it)", async () => {
    licensing.skus = [EXCHANGE_PLAN_1_ONLY()];
    const ours = retentionPolicy(POLICY, { ExchangeLocation: ["All"] });
    const other = retentionPolicy("Seven years", { ExchangeLocation: ["All"] });
    state.policies.push(ours, other);
    state.rules.push(retentionRule(ours, 30), retentionRule(other, 2555));
    const { config, sources } = setUp(90);
    const { findings, notices } = await discoverForDeploy("contoso", config, sources);
    assert.equal(
      findings.some((f) => f.urn === RESOURCE),
      false,
    );
    assert.ok(notices.some((n) => n.startsWith("Warning: no licence")));
    assert.ok(notices.some((n) => n.includes('"Seven years"')));
    const without = await discoverForDeploy("contoso", config, { ...sources, compliance: undefined });
    assert.equal(
      without.notices.some((n) => n.includes('"Seven years"')),
      false,
    );
  });
});
