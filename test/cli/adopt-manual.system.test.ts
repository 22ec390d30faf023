import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { stringify } from "yaml";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant } from "../../emulators/directory-tenant";
import { entraApps, entraRoutes } from "../../emulators/entra-readiness";
import { exchangeRoutes, exchangeState, exchangeWrites, type ExchangeState } from "../../emulators/exchange";
import { graphWrites, pagedCollection, type GraphEmulator } from "../../emulators/graph";
import { runMain } from "../support/contract";
import { manualRawValues } from "../support/configs";
import { startDeployerEmulator, TENANT_ID } from "../support/deployer";
import { startDnsmasq, type Dnsmasq } from "../support/dnsmasq";

// `retain-m365 adopt` of a stack whose domains are kept by hand (`provider: manual`): the records
// are read through DNS (`--resolver`, a real dnsmasq on loopback), never through Cloudflare (no
// token, no endpoint), and each is present as declared, to create by hand, or a conflict naming
// the decision; the SPF record's merged value is given.

const serviceRecords = (JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "service-configuration-records.json"), "utf8")) as { value: unknown[] })
  .value;
const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-adopt-manual-"));
let graph: GraphEmulator;
let exchange: ExchangeState;
let dns: Dnsmasq;

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
      (request, emulator) => entraRoutes(entraApps(), () => exchange)(request, emulator),
      (request, emulator) => directoryRoutes(directoryTenant())(request, emulator),
    ],
    adminApi: (request, emulator) => exchangeRoutes(exchange)(request, emulator),
  });
  dns = await startDnsmasq([
    "--local=/example.com/",
    "--local=/example.net/",
    "--local=/outlook.com/",
    "--local=/gateway.example/",
    "--host-record=autodiscover.outlook.com,192.0.2.10",
    "--host-record=mx.gateway.example,192.0.2.12",
    "--host-record=mail.example.net,192.0.2.13",
    "--host-record=sipfed.online.lync.com,192.0.2.15",
    "--host-record=enterpriseregistration.windows.net,192.0.2.16",
    // What the admin's DNS host holds today.
    "--cname=autodiscover.example.com,autodiscover.outlook.com",
    "--mx-host=example.com,mx.gateway.example,10",
    "--txt-record=example.com,v=spf1 include:_spf.gateway.example ~all",
    "--txt-record=example.com,MS=ms12345678",
    "--srv-host=_sipfederationtls._tcp.example.com,sipfed.online.lync.com,5061,100,1",
    "--cname=enterpriseregistration.example.com,enterpriseregistration.windows.net",
    "--cname=autodiscover.example.net,mail.example.net",
    "--srv-host=_autodiscover._tcp.example.net,autodiscover.outlook.com,443,0,0",
    // Public DNS that SPF's includes lead to, for the lookup count.
    "--txt-record=spf.protection.outlook.com,v=spf1 ip4:40.92.0.0/15 include:spfa.protection.outlook.com -all",
    "--txt-record=spfa.protection.outlook.com,v=spf1 ip4:40.107.0.0/16 -all",
    "--txt-record=_spf.gateway.example,v=spf1 ip4:192.0.2.0/24 -all",
  ]);
  const decided = manualRawValues();
  const [com, net] = decided["retain-m365:domains"] as Record<string, unknown>[];
  com!.onExisting = { mx: "keep" };
  net!.onExisting = { autodiscover: "replace" };
  for (const [stack, values] of [
    ["manual", manualRawValues()],
    ["decided", decided],
  ] as const) {
    // Without the EWS allow list, whose decision is none of these tests' business.
    const config = {
      ...values,
      "retain-m365:exchangeAccess": { scopeGroup: "Retain Archived Users" },
      "retain-m365:directorySync": { outputDir: path.join(stacksDir, "cfg") },
    };
    writeFileSync(path.join(stacksDir, `Pulumi.${stack}.yaml`), stringify({ config }));
  }
});
after(async () => {
  await graph.close();
  dns.close();
});
beforeEach(() => {
  exchange = exchangeState(TENANT_ID);
});

interface Report {
  findings: { urn: string; action: string; importId?: string; detail: string; decide?: string; content?: string }[];
  notices: string[];
  summary: Record<string, number>;
}

async function adopt(stack: string, ...extra: string[]) {
  const args = [
    "adopt",
    "--stack",
    stack,
    "--stacks-dir",
    stacksDir,
    "--exchange-endpoint",
    graph.url,
    "--graph-endpoint",
    graph.url,
    "--authority-host",
    graph.url,
    "--resolver",
    dns.address,
    ...extra,
  ];
  // No Cloudflare token and no Cloudflare endpoint: a manual-only stack needs neither.
  const result = await runMain(args, { env: { CLOUDFLARE_API_TOKEN: "" } });
  assert.deepEqual(graphWrites(graph), [], "adopt wrote to Graph");
  assert.deepEqual(exchangeWrites(exchange), [], "adopt ran a cmdlet other than Get-");
  return result;
}

function reportOf(stdout: string, stack: string) {
  const report = JSON.parse(stdout) as Report;
  const byName = (name: string) => {
    const finding = report.findings.find((f) => f.urn.endsWith(`::${stack}-dns-${name}`));
    assert.ok(finding, `no finding for ${name}: ${report.findings.map((f) => f.urn.split("::").pop()).join(", ")}`);
    return finding;
  };
  return { report, byName };
}

describe("retain-m365 adopt: domains whose records are kept by hand", () => {
  it("reads them through DNS, without a Cloudflare token: present as declared, to create by hand, or a conflict naming the decision (exit 5)", async () => {
    const result = await adopt("manual", "--json");
    assert.equal(result.code, 5, result.stderr);
    const { report, byName } = reportOf(result.stdout, "manual");
    const actions = (names: string[]) => names.map((name) => [name, byName(name).action, byName(name).importId, byName(name).decide]);
    assert.deepEqual(
      actions([
        "example.com-autodiscover-cname",
        "example.com-m365-srv-_sipfederationtls._tcp",
        "example.com-m365-cname-enterpriseregistration",
        "example.net-autodiscover-srv",
      ]),
      [
        ["example.com-autodiscover-cname", "adopt", undefined, undefined],
        ["example.com-m365-srv-_sipfederationtls._tcp", "adopt", undefined, undefined],
        ["example.com-m365-cname-enterpriseregistration", "adopt", undefined, undefined],
        ["example.net-autodiscover-srv", "adopt", undefined, undefined],
      ],
    );
    assert.equal(
      byName("example.com-autodiscover-cname").detail,
      "CNAME autodiscover.example.com → autodiscover.outlook.com is there as declared: nothing to do.",
    );
    for (const name of ["example.com-autodiscover-srv", "example.com-m365-cname-enterpriseenrollment"]) {
      assert.equal(byName(name).action, "create");
      assert.match(
        byName(name).detail,
        /: nothing is there; the admin creates it by hand at the domain's DNS host \(a manual domain: nothing is written to DNS\)\.$/,
      );
    }
    const mx = byName("example.com-m365-mx");
    assert.deepEqual([mx.action, mx.decide], ["conflict", "retain-m365:domains[0].onExisting.mx"]);
    assert.match(mx.detail, /^example\.com has MX → 10 mx\.gateway\.example where MX example\.com → 0 example-com\.r-v1\.mx\.microsoft is declared/);
    const spf = byName("example.com-m365-txt");
    assert.deepEqual([spf.action, spf.content], ["merge", "v=spf1 include:_spf.gateway.example include:spf.protection.outlook.com ~all"]);
    assert.match(
      spf.detail,
      /^example\.com's SPF record needs include:spf\.protection\.outlook\.com before its final term: set it by hand to "v=spf1 include:_spf\.gateway\.example include:spf\.protection\.outlook\.com ~all"/,
    );
    const cname = byName("example.net-autodiscover-cname");
    assert.deepEqual([cname.action, cname.decide], ["conflict", "retain-m365:domains[1].onExisting.autodiscover"]);
    assert.match(
      cname.detail,
      /^autodiscover\.example\.net has CNAME → mail\.example\.net where CNAME autodiscover\.example\.net → autodiscover\.outlook\.com is declared/,
    );
    assert.deepEqual(
      report.findings.filter((f) => f.action === "conflict").map((f) => f.decide),
      ["retain-m365:domains[0].onExisting.mx", "retain-m365:domains[1].onExisting.autodiscover"],
    );
  });

  it("with the decisions made: the gateway's MX stays (a notice), a record to replace is said to be changed by hand (exit 0); text for people", async () => {
    const json = await adopt("decided", "--json");
    assert.equal(json.code, 0, json.stdout + json.stderr);
    const { report, byName } = reportOf(json.stdout, "decided");
    assert.equal(
      report.findings.some((f) => f.urn.endsWith("-m365-mx")),
      false,
    );
    assert.ok(
      report.notices.includes(
        "MX example.com → 0 example-com.r-v1.mx.microsoft is not declared: what is at example.com (MX → 10 mx.gateway.example) stays as it is.",
      ),
      report.notices.join("\n"),
    );
    const cname = byName("example.net-autodiscover-cname");
    assert.deepEqual([cname.action, cname.importId], ["adopt", undefined]);
    assert.equal(
      cname.detail,
      "autodiscover.example.net has CNAME → mail.example.net: change it by hand to CNAME autodiscover.example.net → autodiscover.outlook.com (onExisting says replace).",
    );
    const text = await adopt("decided");
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^create {3}decided-dns-example\.com-autodiscover-srv: SRV _autodiscover\._tcp\.example\.com → 0 0 443 autodiscover\.outlook\.com: nothing is there; the admin creates it by hand/m,
    );
  });
});
