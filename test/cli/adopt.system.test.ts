import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { LEGACY_IMPERSONATION_ROLE } from "../../m365/exchange-facts";
import { ewsShutdown } from "../../m365/ews-retirement";
import { REPO_ROOT } from "../support/cli";
import { runMain } from "../support/contract";
import { retryWithoutWaiting } from "../support/retry-clock";
import { validRawValues } from "../support/configs";
import { DEPLOYER_CLIENT_ID, startDeployerEmulator, TENANT_ID } from "../support/deployer";
import { startCloudflareEmulator, type CloudflareEmulator } from "../../emulators/cloudflare";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant, putUser, type DirectoryTenant } from "../../emulators/directory-tenant";
import { complianceState, complianceWrites, retentionPolicy, retentionRule, startComplianceEmulator, type ComplianceState } from "../../emulators/compliance";
import { licensingRoutes, sku, type LicensingState } from "../../emulators/licensing";
import { exchangeRoutes, exchangeState, exchangeWrites, type ExchangeState } from "../../emulators/exchange";
import { graphWrites, pagedCollection, type GraphEmulator } from "../../emulators/graph";
import { startTxtServer, type TxtServer } from "../support/dns-server";
import { entraApps, entraRoutes, registerApp, type EntraApps } from "../../emulators/entra-readiness";

// `retain-m365 adopt` end to end: the real CLI against loopback Entra, Graph, Exchange and
// Cloudflare, reading a tenant that already runs Microsoft 365.

const CLOUDFLARE_TOKEN = "retain-adopt-test-token".padEnd(40, "0");
const COM_ZONE = "0123456789abcdef0123456789abcdef";
const NET_ZONE = "fedcba9876543210fedcba9876543210";
const OTHER_APPS = ["aaaaaaaa-0000-4000-8000-0000000000a1", "aaaaaaaa-0000-4000-8000-0000000000a2"];
const serviceRecords = (JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "service-configuration-records.json"), "utf8")) as { value: unknown[] })
  .value;

let graph: GraphEmulator;
let cloudflare: CloudflareEmulator;
let directory: DirectoryTenant;
let exchange: ExchangeState;
/** Public DNS as adopt sees it (`--resolver`): the SPF includes it follows to count lookups. */
let dns: TxtServer;
let entra: EntraApps;
/** The tenant's subscriptions (subscribedSkus), read where the stack has preservation. */
let licensing: LicensingState;
const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-adopt-"));
const stackFile = path.join(stacksDir, "Pulumi.contoso.yaml");

before(async () => {
  graph = await startDeployerEmulator({
    token: "graph-and-exchange-token",
    routes: [
      (request, emulator) => {
        const match = /^\/domains\/([^/]+)\/serviceConfigurationRecords$/.exec(request.path);
        return match && decodeURIComponent(match[1]!) === "example.com"
          ? pagedCollection(emulator, request.path, request.query, serviceRecords, 100)
          : undefined;
      },
      // App registrations (Graph "List applications") before the directory's routes.
      (request, emulator) => entraRoutes(entra, () => exchange)(request, emulator),
      // Only the subscriptions: the directory answers for its users.
      (request, emulator) => (request.path === "/subscribedSkus" ? licensingRoutes(licensing)(request, emulator) : undefined),
      (request, emulator) => directoryRoutes(directory)(request, emulator),
    ],
    adminApi: (request, emulator) => exchangeRoutes(exchange)(request, emulator),
  });
  dns = await startTxtServer({
    "spf.protection.outlook.com": ["v=spf1 ip4:40.92.0.0/15 include:spfa.protection.outlook.com -all"],
    "spfa.protection.outlook.com": ["v=spf1 ip4:40.107.0.0/16 -all"],
    "_spf.gateway.example": ["v=spf1 ip4:192.0.2.0/24 -all"],
    "_spf.crm.example": ["v=spf1 include:_a.crm.example include:_b.crm.example include:_c.crm.example ~all"],
    "_a.crm.example": ["v=spf1 ip4:198.51.100.0/24 -all"],
    "_b.crm.example": ["v=spf1 ip4:198.51.101.0/24 -all"],
    "_c.crm.example": ["v=spf1 ip4:198.51.102.0/24 -all"],
  });
  cloudflare = await startCloudflareEmulator({ token: CLOUDFLARE_TOKEN, zones: { [COM_ZONE]: "example.com", [NET_ZONE]: "example.net" } });
  const values = validRawValues();
  writeFileSync(
    stackFile,
    stringify({
      config: { ...values, "retain-m365:directorySync": { ...(values["retain-m365:directorySync"] as object), outputDir: path.join(stacksDir, "cfg") } },
    }),
  );
});
after(async () => {
  retryWithoutWaiting();
  await graph.close();
  await cloudflare.close();
  await dns.close();
});
beforeEach(() => {
  directory = directoryTenant();
  exchange = exchangeState(TENANT_ID);
  entra = entraApps();
  licensing = { skus: [], users: new Map() };
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
  const result = await runMain(
    [
      "adopt",
      "--config-file",
      stackFile,
      "--json",
      "--cloudflare-endpoint",
      cloudflare.url,
      "--exchange-endpoint",
      graph.url,
      "--graph-endpoint",
      graph.url,
      "--authority-host",
      graph.url,
      "--resolver",
      dns.address,
    ],
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
    putUser(directory, {
      id: "99999999-0000-4000-8000-000000000001",
      userPrincipalName: "RetainWorker@example.com",
      displayName: "RetainWorker",
      accountEnabled: true,
      userType: "Member",
      mail: "RetainWorker@example.com",
    });
    putUser(directory, {
      id: "99999999-0000-4000-8000-000000000002",
      userPrincipalName: "retain-sync@example.com",
      displayName: "Retain Directory Sync",
      accountEnabled: true,
      userType: "Member",
      mail: "retain-sync@example.com",
    });
    directory.roleAssignments.push({
      id: "role-assignment-of-the-old-admin",
      principalId: "99999999-0000-4000-8000-000000000002",
      roleDefinitionId: "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
      directoryScopeId: "/",
    });
    exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: OTHER_APPS.join(",") };
    exchange.roles.push(LEGACY_IMPERSONATION_ROLE);
    exchange.assignments.push({
      Name: "Retain impersonation",
      Role: LEGACY_IMPERSONATION_ROLE,
      RoleAssignee: "RetainWorker",
      RoleAssigneeName: "RetainWorker",
      RoleAssignmentDelegationType: "Regular",
    });
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
    assert.deepEqual(
      [byName(report, "accounts-admin").action, byName(report, "accounts-admin").importId],
      ["adopt", "/users/99999999-0000-4000-8000-000000000002"],
    );
    const role = byName(report, "accounts-admin-role");
    assert.deepEqual([role.action, role.importId], ["adopt", "role-assignment-of-the-old-admin"], "a second assignment of the same role would be refused");
    assert.equal(byName(report, "exchange-ews-allow-list").action, "merge");
    assert.ok(
      report.notices.some((notice) => notice.includes("ApplicationImpersonation") && notice.includes("RetainWorker")),
      report.notices.join("\n"),
    );
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

  it("Retain's app registration: created, and one registered by hand under the same display name is named in a notice, never taken over", async () => {
    const greenfield = await adopt();
    const created = byName(greenfield.report, "app-registration");
    assert.deepEqual([created.action, created.importId], ["create", undefined]);
    assert.match(created.detail, /No application is registered as "Retain Archiving"/);
    assert.ok(!greenfield.report.notices.some((n) => n.includes("already registered as")));

    registerApp(entra, "Retain Archiving", "bbbbbbbb-0000-4000-8000-0000000000b1");
    registerApp(entra, "Something Else", "bbbbbbbb-0000-4000-8000-0000000000b2");
    const { report } = await adopt();
    const beside = byName(report, "app-registration");
    assert.deepEqual([beside.action, beside.importId], ["create", undefined]);
    const notice = report.notices.find((n) => n.includes('already registered as "Retain Archiving"'));
    assert.ok(notice?.includes("bbbbbbbb-0000-4000-8000-0000000000b1") && !notice.includes("0000000000b2"), report.notices.join("\n"));
    assert.match(notice ?? "", /retain-m365:application\.displayName/);
    assert.ok(graph.requests.some((r) => r.path === "/v1.0/applications" && r.query.get("$filter") === "displayName eq 'Retain Archiving'"));
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
    assert.ok(
      report.notices.some((n) => n.includes(`ends for good on ${shutdown} in the worldwide cloud, in ${daysLeft} day`)),
      report.notices.join("\n"),
    );
    assertNothingWritten();
  });

  it("records an earlier deploy made carry its comment: the stack's own whatever they hold now, adopted without an import id (Pulumi would import them again)", async () => {
    cloudflare.seed(NET_ZONE, {
      type: "CNAME",
      name: "autodiscover.example.net",
      content: "autodiscover.outlook.com",
      proxied: false,
      ttl: 3600,
      comment: "Managed by retain-m365",
    });
    // Its own MX, made when Microsoft's target was another: the deploy updates it, no decision needed.
    cloudflare.seed(COM_ZONE, {
      type: "MX",
      name: "example.com",
      content: "example-com.mail.protection.outlook.com",
      priority: 0,
      ttl: 3600,
      comment: "Managed by retain-m365",
    });
    const { report } = await adopt();
    for (const name of ["dns-example.net-autodiscover-cname", "dns-example.com-m365-mx"]) {
      const own = byName(report, name);
      assert.deepEqual([own.action, own.importId], ["adopt", undefined], name);
      assert.match(own.detail, /manages it already/);
    }
  });

  it("Skype for Business records (not declared without skypeForBusinessRecords): a hybrid tenant's are named in a notice and left alone, no finding, no conflict", async () => {
    cloudflare.seed(COM_ZONE, { type: "CNAME", name: "sip.example.com", content: "sip.onprem.example.com", proxied: false, ttl: 1 });
    cloudflare.seed(COM_ZONE, {
      type: "SRV",
      name: "_sip._tls.example.com",
      content: "1 443 sip.onprem.example.com",
      priority: 100,
      data: { priority: 100, weight: 1, port: 443, target: "sip.onprem.example.com" },
      ttl: 1,
    });
    exchange.organization = { EwsEnabled: false, EwsAllowedAppIDs: null };
    const { report } = await adopt();
    assert.deepEqual(
      report.findings.filter((f) => /sip\._tls|cname-sip|lyncdiscover/.test(f.urn)),
      [],
      "nothing of Skype for Business is declared",
    );
    const skype = report.notices.filter((n) => n.includes("Skype for Business"));
    assert.deepEqual(skype, [
      "CNAME sip.example.com is a Skype for Business record, which Teams-only tenants no longer need: the stack leaves it as it is (retain-m365:domains[0].skypeForBusinessRecords: true would manage it, and never repoints one that points elsewhere).",
      "SRV _sip._tls.example.com is a Skype for Business record, which Teams-only tenants no longer need: the stack leaves it as it is (retain-m365:domains[0].skypeForBusinessRecords: true would manage it, and never repoints one that points elsewhere).",
    ]);
    assert.equal(byName(report, "dns-example.com-m365-srv-_sipfederationtls._tcp").action, "create", "Teams' federation SRV is still declared");
    assertNothingWritten();
  });

  it("SPF's 10-lookup limit: past 10 with Microsoft's include is a conflict for onExisting.spf (exit 5); 9–10 a notice", async () => {
    // include:_spf.crm.example costs 4, each a and mx 1: 4 + 4 + 1 = 9, and Microsoft's include 2 more.
    const seeded = cloudflare.seed(COM_ZONE, {
      type: "TXT",
      name: "example.com",
      content: '"v=spf1 include:_spf.crm.example include:_spf.gateway.example a mx a:x.example mx:y.example ~all"',
      ttl: 1,
    });
    exchange.organization = { EwsEnabled: false, EwsAllowedAppIDs: null };
    const over = await adopt();
    const spf = byName(over.report, "dns-example.com-m365-txt");
    assert.deepEqual([spf.action, spf.decide], ["conflict", "retain-m365:domains[0].onExisting.spf"]);
    assert.match(
      spf.detail,
      /^example\.com's SPF record with include:spf\.protection\.outlook\.com added needs 11 DNS lookups, over SPF's limit of 10 \(RFC 7208 §4\.6\.4\)/,
    );
    assert.equal(over.code, 5);
    assert.ok(dns.queries.includes("spfa.protection.outlook.com"), "Microsoft's record was followed through DNS");

    seeded.content = '"v=spf1 include:_spf.crm.example include:_spf.gateway.example a mx ~all"';
    const near = await adopt();
    assert.equal(byName(near.report, "dns-example.com-m365-txt").action, "merge");
    assert.ok(
      near.report.notices.includes(
        "example.com's SPF record with include:spf.protection.outlook.com added needs 9 DNS lookups of SPF's 10 (RFC 7208 §4.6.4): one more include by anyone makes SPF fail for all of the domain's mail.",
      ),
      near.report.notices.join("\n"),
    );
    assertNothingWritten();
  });

  it("names only urns that `plan --json` shows for the same stack", async () => {
    const plan = await runMain(["plan", "--config-file", stackFile, "--json"]);
    const urns = new Set((JSON.parse(plan.stdout) as { steps: { urn: string }[] }).steps.map((step) => step.urn));
    const { report } = await adopt();
    for (const finding of report.findings) assert.ok(urns.has(finding.urn), `${finding.urn} is not in the plan`);
  });

  it("a wrong Cloudflare token: exit 3, one sentence naming Cloudflare, the token never shown", async () => {
    const result = await runMain(
      [
        "adopt",
        "--config-file",
        stackFile,
        "--cloudflare-endpoint",
        cloudflare.url,
        "--exchange-endpoint",
        graph.url,
        "--graph-endpoint",
        graph.url,
        "--authority-host",
        graph.url,
      ],
      { env: { CLOUDFLARE_API_TOKEN: "wrong-token".padEnd(40, "9") } },
    );
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^retain-m365: Cloudflare refused reading the records of example\.com/);
    assert.equal(result.stderr.includes("wrong-token"), false);
  });

  it("an invalid stack: exit 2 with every problem, before any request", async () => {
    const bad = path.join(stacksDir, "Pulumi.bad.yaml");
    writeFileSync(
      bad,
      stringify({ config: { ...validRawValues(), "azuread:tenantId": "not-a-guid", "retain-m365:domains": [{ name: "Example.com", zoneId: COM_ZONE }] } }),
    );
    const result = await runMain(["adopt", "--config-file", bad, "--cloudflare-endpoint", cloudflare.url], { env: { CLOUDFLARE_API_TOKEN: CLOUDFLARE_TOKEN } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /azuread:tenantId: must be the tenant id, a GUID/);
    assert.match(result.stderr, /retain-m365:domains\[0\]\.name: must be lower-case/);
    assert.equal(cloudflare.requests.length, 0);
  });

  /** adopt of the stack with `preservation`, against a Security & Compliance emulator holding `state`. */
  async function adoptPreserving(state: ComplianceState, test: { after: (fn: () => Promise<void>) => void }) {
    const compliance = await startComplianceEmulator(() => state, graph);
    test.after(() => compliance.close());
    const kept = path.join(stacksDir, "Pulumi.contoso-kept.yaml");
    writeFileSync(kept, stringify({ config: { ...parse(readFileSync(stackFile, "utf8")).config, "retain-m365:preservation": { retainDays: 90 } } }));
    const result = await runMain(
      [
        "adopt",
        "--config-file",
        kept,
        "--json",
        ...["--cloudflare-endpoint", cloudflare.url, "--exchange-endpoint", graph.url, "--compliance-endpoint", compliance.url],
        ...["--graph-endpoint", graph.url, "--authority-host", graph.url, "--resolver", dns.address],
      ],
      { env: { CLOUDFLARE_API_TOKEN: CLOUDFLARE_TOKEN } },
    );
    assert.deepEqual(complianceWrites(state), [], "adopt changed Purview");
    return result;
  }

  it("a stack with preservation: the retention policy's finding, the policies and holds already keeping Exchange mail, the licence warning", async (test) => {
    const state = complianceState(TENANT_ID, { [DEPLOYER_CLIENT_ID]: ["Global Reader"] });
    const seven = retentionPolicy("Seven years", { ExchangeLocation: ["All"] });
    state.policies.push(seven);
    state.rules.push(retentionRule(seven, 2555));
    state.caseHolds.push({
      Name: "Litigation hold",
      Guid: "h1",
      Case: "Contoso v. Fabrikam",
      Enabled: true,
      DistributionStatus: "Success",
      ExchangeLocation: ["user3@example.com"],
    });
    licensing.skus = [sku("EXCHANGESTANDARD", "4b9405b0-7788-4568-add1-99614e613b69", 5, 1)];
    const { code, stdout, stderr } = await adoptPreserving(state, test);
    assert.ok(stdout, `adopt printed nothing (exit ${code}): ${stderr}`);
    const report = JSON.parse(stdout) as Report;
    const finding = report.findings.find((f) => f.urn.endsWith("::contoso-kept-preservation-retention-policy"));
    assert.equal(finding?.action, "create", JSON.stringify(report.findings.map((f) => f.urn)));
    assert.match(finding!.urn, /retain-m365:compliance:Preservation\$pulumi-nodejs:dynamic\/compliance:RetentionPolicy::/);
    assert.ok(report.notices.some((n) => n.startsWith("Warning: no licence of the tenant gives retention policies for Exchange mailboxes")));
    assert.ok(
      report.notices.includes(
        'Exchange mail is already kept: the retention policy "Seven years" covers every mailbox (Keep for 2555 days; on, Enforce, distribution Success).',
      ),
    );
    assert.ok(
      report.notices.some((n) => n.startsWith('Exchange mail is already kept: the hold "Litigation hold" of the eDiscovery case "Contoso v. Fabrikam"')),
    );
  });

  it("a stack with preservation whose Security & Compliance endpoint refuses the deploying identity: exit 3 naming the role to add", async (test) => {
    const result = await adoptPreserving(complianceState(TENANT_ID, {}), test);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /Security & Compliance refused Get-RetentionCompliancePolicy -DistributionDetail \(.*HTTP 403/);
    assert.match(result.stderr, /and the Entra role Global Reader \(or Compliance Administrator\), for the identity running adopt/);
  });

  it("without a Cloudflare token: exit 2 naming the variable, before any request", async () => {
    const result = await runMain(["adopt", "--config-file", stackFile], { env: { CLOUDFLARE_API_TOKEN: "" } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /CLOUDFLARE_API_TOKEN/);
    // The token's permission in the words of README's permission table.
    assert.match(result.stderr, /\(Zone › DNS › Read, on the tenant's zones is enough\)/);
    assert.ok(readFileSync(path.join(REPO_ROOT, "README.md"), "utf8").includes("| Cloudflare API token | Zone › DNS › Read, on the tenant's zones |"));
    assert.equal(cloudflare.requests.length, 0);
  });
});
