import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { ExistingRecord } from "../../components/dns/existing";
import type { DnsRecordLookup } from "../../components/dns/providers";
import type { TenantConfig } from "../../config/schema";
import { validateConfig } from "../../config/validate";
import { parseServiceConfigurationRecords, type ServiceConfigurationRecordSource } from "../../m365/microsoft-dns-records/records";
import type { discoverDns as DiscoverDns } from "../../program/adopt/discovery-steps";
import { existingResources } from "../../components/discovery";
import { startMockRuntime, type MockRuntime } from "../../program/mock-runtime";
import type { RetainTenant as Tenant } from "../../program/tenant";
import { manualRawValues, toRaw } from "../support/configs";
import { fakeCall, fakeOutputs } from "../support/fake-tenant";
import { childrenOf, resourceNamed } from "../support/resources";

// A domain whose records the admin keeps by hand at their own DNS host (`provider: manual`): the
// stack declares no Cloudflare resource for it, reads what is there through DNS (no Cloudflare
// token), and lists what to create by hand, the SPF record merged with the one there.

const graphAnswer = JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "service-configuration-records.json"), "utf8")) as { value: unknown[] };
const records: ServiceConfigurationRecordSource = { recordsFor: async (domain) => parseServiceConfigurationRecords(domain, graphAnswer.value) };
const SPF_RECORDS: Record<string, string[]> = {
  "spf.protection.outlook.com": ["v=spf1 ip4:40.92.0.0/15 include:spfa.protection.outlook.com -all"],
  "spfa.protection.outlook.com": ["v=spf1 ip4:40.107.0.0/16 -all"],
  "_spf.gateway.example": ["v=spf1 ip4:192.0.2.0/24 -all"],
};

let runtime: MockRuntime;
let RetainTenant: typeof Tenant;
let discoverDns: typeof DiscoverDns;
before(async () => {
  runtime = await startMockRuntime({ project: "retain-m365", stack: "manual", preview: false, outputs: fakeOutputs, call: fakeCall });
  RetainTenant = (await import("../../program/tenant")).RetainTenant;
  discoverDns = (await import("../../program/adopt/discovery-steps")).discoverDns;
});
after(() => runtime.stop());

function manualConfig(edit: (domains: Record<string, unknown>[]) => void = () => undefined): TenantConfig {
  const values = manualRawValues();
  edit(values["retain-m365:domains"] as Record<string, unknown>[]);
  const result = validateConfig(toRaw(values, {}));
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.warnings, [], "a manual-only stack needs no Cloudflare token");
  return result.config;
}

/** DNS as a resolver answers it: the records of each `TYPE name`, every question recorded. */
function dnsHolding(zone: Record<string, Omit<ExistingRecord, "id" | "name" | "type">[]>): { lookup: DnsRecordLookup; asked: string[] } {
  const asked: string[] = [];
  const lookup: DnsRecordLookup = async (name, type) => {
    asked.push(`${type} ${name}`);
    return (zone[`${type} ${name}`] ?? []).map((record) => ({ id: "", type, name, ...record }));
  };
  return { lookup, asked };
}

async function discover(config: TenantConfig, zone: Parameters<typeof dnsHolding>[0]) {
  const { lookup, asked } = dnsHolding(zone);
  const sources = { graph: undefined as never, exchange: undefined as never, records, dnsRecords: lookup, dns: async (name: string) => SPF_RECORDS[name] };
  const discovery = await discoverDns({ stack: "manual", config, sources, urnOf: (name) => name });
  const byKey = (key: string) => {
    const finding = discovery.findings.find((f) => f.urn === `manual-dns-example.com-${key}`);
    assert.ok(finding, `no finding for ${key}: ${discovery.findings.map((f) => f.urn).join(", ")}`);
    return finding;
  };
  return { discovery, byKey, asked };
}

describe("a manual domain: nothing is written, its records are listed for the admin", () => {
  it("declares no Cloudflare resource, one ManualRecord per record, and lists each with its values", async () => {
    const tenant = new RetainTenant("listing", { config: manualConfig(), microsoft365Records: { "example.com": await records.recordsFor("example.com") } });
    await runtime.settle();
    assert.deepEqual(
      runtime.resources.filter((r) => r.type.startsWith("cloudflare:") || r.type.endsWith(":SpfInclude")),
      [],
    );
    const com = resourceNamed(runtime.resources, "listing-dns-example.com");
    assert.deepEqual(
      childrenOf(runtime.resources, com.urn).map((r) => [r.type, r.name.replace("listing-dns-example.com-", "")]),
      [
        ["retain-m365:dns:ManualRecord", "autodiscover-cname"],
        ["retain-m365:dns:ManualRecord", "autodiscover-srv"],
        ["retain-m365:dns:ManualRecord", "m365-mx"],
        ["retain-m365:dns:ManualRecord", "m365-txt"],
        ["retain-m365:dns:ManualRecord", "m365-srv-_sipfederationtls._tcp"],
        ["retain-m365:dns:ManualRecord", "m365-cname-enterpriseregistration"],
        ["retain-m365:dns:ManualRecord", "m365-cname-enterpriseenrollment"],
      ],
    );
    const listed = tenant.manualRecords;
    assert.equal(listed.length, 9);
    assert.deepEqual(listed[0], { domain: "example.com", type: "CNAME", name: "autodiscover.example.com", content: "autodiscover.outlook.com", ttl: 3600 });
    assert.deepEqual(listed[1], {
      domain: "example.com",
      type: "SRV",
      name: "_autodiscover._tcp.example.com",
      target: "autodiscover.outlook.com",
      priority: 0,
      weight: 0,
      port: 443,
      ttl: 3600,
    });
    assert.deepEqual(listed[2], { domain: "example.com", type: "MX", name: "example.com", content: "example-com.r-v1.mx.microsoft", priority: 0, ttl: 3600 });
    assert.equal(listed[3]?.content, "v=spf1 include:spf.protection.outlook.com -all", "plain text, as the admin enters it");
    assert.match(listed[3]?.note ?? "", /^the domain's one SPF record: where one exists, add include:spf\.protection\.outlook\.com to it/);
    assert.deepEqual(listed[4], {
      domain: "example.com",
      type: "SRV",
      name: "_sipfederationtls._tcp.example.com",
      target: "sipfed.online.lync.com",
      priority: 100,
      weight: 1,
      port: 5061,
      ttl: 3600,
    });
    assert.deepEqual(
      listed.slice(7).map((r) => [r.domain, r.type, r.name]),
      [
        ["example.net", "CNAME", "autodiscover.example.net"],
        ["example.net", "SRV", "_autodiscover._tcp.example.net"],
      ],
    );
  });

  it("before the first deploy reads what is there through DNS, never Cloudflare: each record present, missing or different", async () => {
    const { discovery, byKey, asked } = await discover(manualConfig(), {
      "CNAME autodiscover.example.com": [{ content: "autodiscover.outlook.com" }],
      "MX example.com": [{ content: "mx.gateway.example", priority: 10 }],
      "TXT example.com": [{ content: "v=spf1 include:_spf.gateway.example ~all" }, { content: "MS=ms12345678" }],
      "SRV _sipfederationtls._tcp.example.com": [
        { content: "1 5061 sipfed.online.lync.com", priority: 100, data: { priority: 100, weight: 1, port: 5061, target: "sipfed.online.lync.com" } },
      ],
    });
    const cname = byKey("autodiscover-cname");
    assert.deepEqual(
      [cname.action, cname.importId, cname.detail],
      ["adopt", undefined, "CNAME autodiscover.example.com → autodiscover.outlook.com is there as declared: nothing to do."],
    );
    assert.deepEqual([byKey("m365-srv-_sipfederationtls._tcp").action, byKey("m365-srv-_sipfederationtls._tcp").importId], ["adopt", undefined]);
    const srv = byKey("autodiscover-srv");
    assert.equal(srv.action, "create");
    assert.match(
      srv.detail,
      /^SRV _autodiscover\._tcp\.example\.com → 0 0 443 autodiscover\.outlook\.com: nothing is there; the admin creates it by hand at the domain's DNS host/,
    );
    const mx = byKey("m365-mx");
    assert.deepEqual([mx.action, mx.decide], ["conflict", "retain-m365:domains[0].onExisting.mx"]);
    assert.match(mx.detail, /^example\.com has MX → 10 mx\.gateway\.example where MX example\.com → 0 example-com\.r-v1\.mx\.microsoft is declared/);
    const spf = byKey("m365-txt");
    assert.equal(spf.action, "merge");
    assert.equal(spf.content, "v=spf1 include:_spf.gateway.example include:spf.protection.outlook.com ~all");
    assert.match(spf.detail, /set it by hand to "v=spf1 include:_spf\.gateway\.example include:spf\.protection\.outlook\.com ~all"/);
    assert.ok(
      asked.includes("CNAME autodiscover.example.com") && asked.includes("TXT example.com") && asked.includes("A autodiscover.example.net"),
      asked.join(", "),
    );
    assert.equal(asked.includes("MX autodiscover.example.com"), false);
    assert.deepEqual(discovery.left, []);
  });

  it("the deploy lists the SPF record merged with the one there, and leaves out the MX the admin keeps (onExisting.mx: keep)", async () => {
    const config = manualConfig((domains) => (domains[0]!.onExisting = { mx: "keep" }));
    const { discovery } = await discover(config, {
      "MX example.com": [{ content: "mx.gateway.example", priority: 10 }],
      "TXT example.com": [{ content: "v=spf1 include:_spf.gateway.example ~all" }],
    });
    assert.deepEqual(
      discovery.findings.filter((f) => f.action === "conflict"),
      [],
    );
    const existing = existingResources(discovery);
    assert.deepEqual(existing.imports, {});
    const tenant = new RetainTenant("manual", { config, microsoft365Records: { "example.com": await records.recordsFor("example.com") }, existing });
    const com = tenant.manualRecords.filter((r) => r.domain === "example.com");
    assert.deepEqual(
      com.map((r) => r.type),
      ["CNAME", "SRV", "TXT", "SRV", "CNAME", "CNAME"],
      "no MX: the gateway's stays",
    );
    const txt = com.find((r) => r.type === "TXT");
    assert.equal(txt?.content, "v=spf1 include:_spf.gateway.example include:spf.protection.outlook.com ~all");
    assert.match(txt?.note ?? "", /replace the one there with it, never add a second/);
    assert.equal(pulumi.Output.isInstance(txt?.content), false);
  });

  it("refuses to import a manual domain's record, which is created by hand", async () => {
    const { checkDomainDnsArgs } = await import("../../components/dns/domain-dns");
    assert.deepEqual(
      checkDomainDnsArgs({ domain: "example.org", provider: "manual", existingRecords: { "autodiscover-cname": { content: "autodiscover.outlook.com" } } }),
      [],
    );
    assert.deepEqual(
      checkDomainDnsArgs({
        domain: "example.org",
        provider: "manual",
        existingRecords: { "autodiscover-cname": { import: `${"a".repeat(32)}/${"b".repeat(32)}` } },
      }),
      [
        'existingRecords["autodiscover-cname"] of example.org: a manual domain\'s records are created by hand, never imported; give "leave", { content: "<value>" } or nothing',
      ],
    );
  });
});
