import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { managementScopeProvider, memberOfGroupFilter } from "../../components/exchange/management-scope";
import { securityGroupProvider } from "../../components/exchange/security-group";
import { validateConfig } from "../../config/validate";
import { EWS_ENFORCE_SETTING } from "../../config/schema";
import { emptyListRefusal } from "../../components/exchange/ews-allow-list";
import { ewsShutdown } from "../../m365/ews-retirement";
import { credentialFromEnvironment } from "../../m365/credentials";
import { createGraphClient } from "../../m365/graph-client";
import { discoverForDeploy } from "../../program/adopt/discovery-steps";
import { toRaw, validRawValues } from "../support/configs";
import { startDeployerEmulator, TENANT_ID } from "../support/deployer";
import { startCloudflareEmulator, type CloudflareEmulator } from "../../emulators/cloudflare";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant } from "../../emulators/directory-tenant";
import { exchangeRoutes, exchangeState, exchangeWrites, type ExchangeState } from "../../emulators/exchange";
import { graphWrites, pagedCollection, type GraphEmulator } from "../../emulators/graph";

// What `pulumi up` reads before declaring anything (the program's `discover`), against loopback
// Cloudflare, Graph and Exchange: the conflicts that must stop a first deploy, and none on the
// deploys after it.

const TOKEN = "deploy-discovery-token".padEnd(40, "0");
const COM_ZONE = "0123456789abcdef0123456789abcdef";
const NET_ZONE = "fedcba9876543210fedcba9876543210";
const GROUP = "Retain Archived Users";

let graph: GraphEmulator;
let cloudflare: CloudflareEmulator;
let exchange: ExchangeState;
before(async () => {
  graph = await startDeployerEmulator({
    token: "graph-and-exchange-token",
    routes: [
      (request, emulator) =>
        /^\/domains\/[^/]+\/serviceConfigurationRecords$/.test(request.path) ? pagedCollection(emulator, request.path, request.query, [], 100) : undefined,
      (request, emulator) => directoryRoutes(directoryTenant())(request, emulator),
    ],
    adminApi: (request, emulator) => exchangeRoutes(exchange)(request, emulator),
  });
  cloudflare = await startCloudflareEmulator({ token: TOKEN, zones: { [COM_ZONE]: "example.com", [NET_ZONE]: "example.net" } });
});
after(async () => {
  await graph.close();
  await cloudflare.close();
});
beforeEach(() => {
  exchange = exchangeState(TENANT_ID);
  cloudflare.state.records.length = 0;
});

async function discover() {
  const values = validRawValues();
  // Only autodiscover in the zones: Microsoft's set comes from Graph, which this tenant's emulator leaves empty.
  values["retain-m365:domains"] = (values["retain-m365:domains"] as object[]).map((domain) => ({ ...domain, microsoft365Records: false }));
  const validation = validateConfig(toRaw(values));
  assert.ok(validation.ok, JSON.stringify(validation));
  const sources = {
    cloudflare: { endpoint: cloudflare.url, token: TOKEN },
    graph: createGraphClient({ credential: credentialFromEnvironment(TENANT_ID), endpoint: graph.url }),
    exchange: { tenantId: TENANT_ID, exchangeEndpoint: graph.url },
  };
  const discovery = await discoverForDeploy("contoso", validation.config, sources);
  assert.deepEqual(cloudflare.writes(), []);
  assert.deepEqual(graphWrites(graph), []);
  assert.deepEqual(exchangeWrites(exchange), []);
  return discovery;
}

describe("what the deploy reads before declaring anything", () => {
  it("a first deploy where the EWS allow list is not in force: stopped with the provider's sentence and key", async () => {
    const { findings } = await discover();
    const conflicts = findings.filter((f) => f.action === "conflict");
    assert.deepEqual(
      conflicts.map((f) => [f.urn, f.decide]),
      [["contoso-exchange-ews-allow-list", "retain-m365:exchangeAccess.ewsAllowList.enforce"]],
    );
    assert.ok(
      findings.every((f) => f.action === "create" || f.action === "conflict"),
      JSON.stringify(findings),
    );
  });

  it("warns of EWS's end with its date and the days left, as adopt does", async () => {
    exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: "aaaaaaaa-0000-4000-8000-0000000000a1" };
    const { notices } = await discover();
    const { shutdown, daysLeft, notice } = ewsShutdown("global");
    assert.ok(notices.includes(notice), notices.join("\n"));
    assert.match(notice, new RegExp(`ends for good on ${shutdown} in the worldwide cloud, in ${daysLeft} days?:`));
  });

  it("a list in force but empty: stopped with the sentence adopt shows, naming the enforce decision", async () => {
    exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: null };
    const { findings } = await discover();
    const list = findings.find((f) => f.urn === "contoso-exchange-ews-allow-list");
    assert.deepEqual(list, {
      urn: "contoso-exchange-ews-allow-list",
      action: "conflict",
      decide: EWS_ENFORCE_SETTING,
      detail: emptyListRefusal(EWS_ENFORCE_SETTING),
    });
  });

  it("a scope of the same name with another filter stops the deploy too (it would fail at the scope otherwise)", async () => {
    exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: "aaaaaaaa-0000-4000-8000-0000000000a1" };
    await managementScopeProvider.create({
      tenantId: TENANT_ID,
      exchangeEndpoint: graph.url,
      name: `${GROUP} (Retain)`,
      recipientRestrictionFilter: "Department -eq 'Sales'",
    });
    exchange.commands.length = 0;
    const { findings } = await discover();
    const scope = findings.find((f) => f.urn === "contoso-exchange-scope");
    assert.deepEqual([scope?.action, scope?.decide], ["conflict", "retain-m365:exchangeAccess.scopeGroup"]);
  });

  it("the deploys after the first: the stack's own records, scope, group and list are no conflict", async () => {
    exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: "aaaaaaaa-0000-4000-8000-0000000000a1" };
    const target = { tenantId: TENANT_ID, exchangeEndpoint: graph.url };
    const group = await securityGroupProvider.create({ ...target, name: GROUP });
    await managementScopeProvider.create({
      ...target,
      name: `${GROUP} (Retain)`,
      recipientRestrictionFilter: memberOfGroupFilter(group.outs!.distinguishedName),
    });
    for (const [zone, domain] of [
      [COM_ZONE, "example.com"],
      [NET_ZONE, "example.net"],
    ] as const) {
      cloudflare.seed(zone, {
        type: "CNAME",
        name: `autodiscover.${domain}`,
        content: "autodiscover.outlook.com",
        proxied: false,
        ttl: 3600,
        comment: "Managed by retain-m365",
      });
      cloudflare.seed(zone, {
        type: "SRV",
        name: `_autodiscover._tcp.${domain}`,
        data: { priority: 0, weight: 0, port: 443, target: "autodiscover.outlook.com" },
        ttl: 3600,
        comment: "Managed by retain-m365",
      });
    }
    exchange.commands.length = 0;
    cloudflare.requests.length = 0;
    const { findings } = await discover();
    assert.deepEqual(
      findings.filter((f) => f.action === "conflict"),
      [],
    );
    assert.ok(
      findings.filter((f) => f.urn.startsWith("contoso-dns-")).every((f) => f.action === "adopt" && f.importId === undefined),
      "nothing of its own is imported again",
    );
  });
});
