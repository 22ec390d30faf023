import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { stringify } from "yaml";
import { LEGACY_IMPERSONATION_ROLE } from "../../m365/exchange-facts";
import { ewsShutdown } from "../../m365/ews-retirement";
import { runCliAsync } from "../support/cli";
import { validRawValues } from "../support/configs";
import { startDeployerEmulator, TENANT_ID } from "../support/deployer";
import { startCloudflareEmulator, type CloudflareEmulator } from "../../emulators/cloudflare";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant, putUser, type DirectoryTenant } from "../../emulators/directory-tenant";
import { exchangeRoutes, exchangeState, exchangeWrites, type ExchangeState } from "../../emulators/exchange";
import { graphWrites, pagedCollection, type GraphEmulator } from "../../emulators/graph";

// `retain-m365 adopt` end to end: the real CLI against loopback Entra, Graph, Exchange and
// Cloudflare, reading a tenant that already runs Microsoft 365.

const CLOUDFLARE_TOKEN = "retain-adopt-test-token".padEnd(40, "0");
const COM_ZONE = "0123456789abcdef0123456789abcdef";
const NET_ZONE = "fedcba9876543210fedcba9876543210";
const OTHER_APPS = ["aaaaaaaa-0000-4000-8000-0000000000a1", "aaaaaaaa-0000-4000-8000-0000000000a2"];
const serviceRecords = (JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "service-configuration-records.json"), "utf8")) as { value: unknown[] }).value;

let graph: GraphEmulator;
let cloudflare: CloudflareEmulator;
let directory: DirectoryTenant;
let exchange: ExchangeState;
const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-adopt-"));
const stackFile = path.join(stacksDir, "Pulumi.contoso.yaml");

before(async () => {
  graph = await startDeployerEmulator({
    token: "graph-and-exchange-token",
    routes: [
      (request, emulator) => {
        const match = /^\/domains\/([^/]+)\/serviceConfigurationRecords$/.exec(request.path);
        return match && decodeURIComponent(match[1]!) === "example.com" ? pagedCollection(emulator, request.path, request.query, serviceRecords, 100) : undefined;
      },
      (request, emulator) => directoryRoutes(directory)(request, emulator),
    ],
    adminApi: (request, emulator) => exchangeRoutes(exchange)(request, emulator),
  });
  cloudflare = await startCloudflareEmulator({ token: CLOUDFLARE_TOKEN, zones: { [COM_ZONE]: "example.com", [NET_ZONE]: "example.net" } });
  const values = validRawValues();
  writeFileSync(stackFile, stringify({ config: { ...values, "retain-m365:directorySync": { ...(values["retain-m365:directorySync"] as object), outputDir: path.join(stacksDir, "cfg") } } }));
});
after(async () => {
  await graph.close();
  await cloudflare.close();
});
beforeEach(() => {
  directory = directoryTenant();
  exchange = exchangeState(TENANT_ID);
  cloudflare.state.records.length = 0;
  cloudflare.requests.length = 0;
  graph.requests.length = 0;
});

interface Report {
  stack: string;
  findings: { urn: string; action: string; importId?: string; detail: string; decide?: string }[];
  notices: string[];
  summary: Record<string, number>;
}

async function adopt(): Promise<{ code: number; report: Report; stderr: string }> {
  const result = await runCliAsync(
    ["adopt", "--config-file", stackFile, "--json", "--cloudflare-endpoint", cloudflare.url, "--exchange-endpoint", graph.url, "--graph-endpoint", graph.url, "--authority-host", graph.url],
    { env: { CLOUDFLARE_API_TOKEN: CLOUDFLARE_TOKEN } },
  );
  assert.equal(result.stderr.includes(CLOUDFLARE_TOKEN), false, "the Cloudflare token is never printed");
  if (!result.stdout) assert.fail(`adopt printed nothing (exit ${String(result.code)}): ${result.stderr}`);
  return { code: result.code ?? -1, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
}

const byName = (report: Report, name: string) => {
  const finding = report.findings.find((f) => f.urn.endsWith(`::contoso-${name}`));
  assert.ok(finding, `no finding for ${name}: ${report.findings.map((f) => f.urn.split("::").pop()).join(", ")}`);
  return finding;
};

function assertNothingWritten(): void {
  assert.deepEqual(cloudflare.writes(), [], "adopt wrote to Cloudflare");
  assert.deepEqual(graphWrites(graph), [], "adopt wrote to Graph");
  assert.deepEqual(exchangeWrites(exchange), [], "adopt ran a cmdlet other than Get-");
}

describe("retain-m365 adopt", () => {
  it("a brownfield tenant: adopts what is there as declared, merges SPF and the EWS list, names the decisions, writes nothing (exit 5)", async () => {
    const cname = cloudflare.seed(COM_ZONE, { type: "CNAME", name: "autodiscover.example.com", content: "autodiscover.outlook.com", proxied: false, ttl: 1 });
    cloudflare.seed(COM_ZONE, { type: "TXT", name: "example.com", content: '"v=spf1 include:_spf.gateway.example ~all"', ttl: 1 });
    cloudflare.seed(COM_ZONE, { type: "MX", name: "example.com", content: "mx.gateway.example", priority: 10, ttl: 1 });
    cloudflare.seed(NET_ZONE, { type: "CNAME", name: "autodiscover.example.net", content: "autodiscover.outlook.com", proxied: true, ttl: 1 });
    putUser(directory, { id: "99999999-0000-4000-8000-000000000001", userPrincipalName: "RetainWorker@example.com", displayName: "RetainWorker", accountEnabled: true, userType: "Member", mail: "RetainWorker@example.com" });
    putUser(directory, { id: "99999999-0000-4000-8000-000000000002", userPrincipalName: "retain-sync@example.com", displayName: "Retain Directory Sync", accountEnabled: true, userType: "Member", mail: "retain-sync@example.com" });
    directory.roleAssignments.push({ id: "role-assignment-of-the-old-admin", principalId: "99999999-0000-4000-8000-000000000002", roleDefinitionId: "f2ef992c-3afb-46b9-b7cf-a126ee74c451", directoryScopeId: "/" });
    exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: OTHER_APPS.join(",") };
    exchange.roles.push(LEGACY_IMPERSONATION_ROLE);
    exchange.assignments.push({ Name: "Retain impersonation", Role: LEGACY_IMPERSONATION_ROLE, RoleAssignee: "RetainWorker", RoleAssigneeName: "RetainWorker", RoleAssignmentDelegationType: "Regular" });
    exchange.commands.length = 0;

    const { code, report } = await adopt();
    assert.equal(code, 5);
    assert.equal(byName(report, "dns-example.com-autodiscover-cname").action, "adopt");
    assert.equal(byName(report, "dns-example.com-autodiscover-cname").importId, `${COM_ZONE}/${cname.id}`);
    assert.equal(byName(report, "dns-example.com-autodiscover-srv").action, "create");
    assert.equal(byName(report, "dns-example.com-m365-txt").action, "merge");
    const mx = byName(report, "dns-example.com-m365-mx");
    assert.deepEqual([mx.action, mx.decide], ["conflict", "retain-m365:domains[0].onExisting.mx"]);
    const proxied = byName(report, "dns-example.net-autodiscover-cname");
    assert.deepEqual([proxied.action, proxied.decide], ["conflict", "retain-m365:domains[1].onExisting.autodiscover"]);
    const worker = byName(report, "accounts-worker");
    assert.deepEqual([worker.action, worker.importId], ["adopt", "/users/99999999-0000-4000-8000-000000000001"]);
    assert.deepEqual([byName(report, "accounts-admin").action, byName(report, "accounts-admin").importId], ["adopt", "/users/99999999-0000-4000-8000-000000000002"]);
    const role = byName(report, "accounts-admin-role");
    assert.deepEqual([role.action, role.importId], ["adopt", "role-assignment-of-the-old-admin"], "a second assignment of the same role would be refused");
    assert.equal(byName(report, "exchange-ews-allow-list").action, "merge");
    assert.ok(report.notices.some((notice) => notice.includes("ApplicationImpersonation") && notice.includes("RetainWorker")), report.notices.join("\n"));
    assert.deepEqual(report.summary, {
      create: report.findings.filter((f) => f.action === "create").length,
      adopt: 4,
      merge: 2,
      conflict: 2,
    });
    assertNothingWritten();
  });

  it("a greenfield tenant: everything is created, but for the EWS list's decision", async () => {
    const { code, report } = await adopt();
    const notCreated = report.findings.filter((f) => f.action !== "create");
    assert.deepEqual(
      notCreated.map((f) => [f.urn.split("::").pop(), f.action, f.decide]),
      [["contoso-exchange-ews-allow-list", "conflict", "retain-m365:exchangeAccess.ewsAllowList.enforce"]],
    );
    assert.equal(code, 5);
    assertNothingWritten();
  });

  it("EwsEnabled true with an empty list: a conflict naming the enforce decision (exit 5); EWS's end as a dated notice", async () => {
    exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: null };
    const { code, report } = await adopt();
    const list = byName(report, "exchange-ews-allow-list");
    assert.deepEqual([list.action, list.decide], ["conflict", "retain-m365:exchangeAccess.ewsAllowList.enforce"]);
    assert.match(list.detail, /in force \(EwsEnabled true\) but empty/);
    assert.equal(code, 5);
    const { shutdown, daysLeft } = ewsShutdown("global");
    assert.ok(report.notices.some((n) => n.includes(`ends for good on ${shutdown} in the worldwide cloud, in ${daysLeft} day`)), report.notices.join("\n"));
    assertNothingWritten();
  });

  it("records an earlier deploy made carry its comment: the stack's own whatever they hold now, adopted without an import id (Pulumi would import them again)", async () => {
    cloudflare.seed(NET_ZONE, { type: "CNAME", name: "autodiscover.example.net", content: "autodiscover.outlook.com", proxied: false, ttl: 3600, comment: "Managed by retain-m365" });
    // Its own MX, made when Microsoft's target was another: the deploy updates it, no decision needed.
    cloudflare.seed(COM_ZONE, { type: "MX", name: "example.com", content: "example-com.mail.protection.outlook.com", priority: 0, ttl: 3600, comment: "Managed by retain-m365" });
    const { report } = await adopt();
    for (const name of ["dns-example.net-autodiscover-cname", "dns-example.com-m365-mx"]) {
      const own = byName(report, name);
      assert.deepEqual([own.action, own.importId], ["adopt", undefined], name);
      assert.match(own.detail, /manages it already/);
    }
  });

  it("names only urns that `plan --json` shows for the same stack", async () => {
    const plan = await runCliAsync(["plan", "--config-file", stackFile, "--json"]);
    const urns = new Set((JSON.parse(plan.stdout) as { steps: { urn: string }[] }).steps.map((step) => step.urn));
    const { report } = await adopt();
    for (const finding of report.findings) assert.ok(urns.has(finding.urn), `${finding.urn} is not in the plan`);
  });

  it("a wrong Cloudflare token: exit 3, one sentence naming Cloudflare, the token never shown", async () => {
    const result = await runCliAsync(
      ["adopt", "--config-file", stackFile, "--cloudflare-endpoint", cloudflare.url, "--exchange-endpoint", graph.url, "--graph-endpoint", graph.url, "--authority-host", graph.url],
      { env: { CLOUDFLARE_API_TOKEN: "wrong-token".padEnd(40, "9") } },
    );
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^retain-m365: Cloudflare refused reading the records of example\.com/);
    assert.equal(result.stderr.includes("wrong-token"), false);
  });

  it("an invalid stack: exit 2 with every problem, before any request", async () => {
    const bad = path.join(stacksDir, "Pulumi.bad.yaml");
    writeFileSync(bad, stringify({ config: { ...validRawValues(), "azuread:tenantId": "not-a-guid", "retain-m365:domains": [{ name: "Example.com", zoneId: COM_ZONE }] } }));
    const result = await runCliAsync(["adopt", "--config-file", bad, "--cloudflare-endpoint", cloudflare.url], { env: { CLOUDFLARE_API_TOKEN: CLOUDFLARE_TOKEN } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /azuread:tenantId: must be the tenant id, a GUID/);
    assert.match(result.stderr, /retain-m365:domains\[0\]\.name: must be lower-case/);
    assert.equal(cloudflare.requests.length, 0);
  });

  it("without a Cloudflare token: exit 2 naming the variable, before any request", async () => {
    const result = await runCliAsync(["adopt", "--config-file", stackFile], { env: { CLOUDFLARE_API_TOKEN: "" } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /CLOUDFLARE_API_TOKEN/);
    assert.equal(cloudflare.requests.length, 0);
  });
});
