import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { checkDomainDnsArgs, declaredDomainRecords, type DomainDns } from "../../components/dns/domain-dns";
import { classifyExisting, existingRecordActions, type ExistingRecord } from "../../components/dns/existing";
import { OfflineServiceConfigurationRecordSource } from "../../m365/microsoft-dns-records/offline";
import { microsoft365RecordSpecs } from "../../components/dns/records";
import { txtContent } from "../../components/dns/providers/cloudflare";
import { cloudflareImportId } from "../../components/dns/providers/cloudflare/zone";
import type { RetainTenant } from "../../program/tenant";
import { validateConfig } from "../../config/validate";
import { parseServiceConfigurationRecords } from "../../m365/microsoft-dns-records/records";
import { isSecretValue, startMockRuntime, type MockRuntime } from "../../program/mock-runtime";
import { toRaw, validRawValues } from "../support/configs";
import { childrenOf as children, resourceNamed } from "../support/resources";
import { fakeCall, fakeOutputs } from "../support/fake-tenant";

const DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord";
const SPF_INCLUDE = "pulumi-nodejs:dynamic/dns:SpfInclude";
const ZONE = "0123456789abcdef0123456789abcdef";
const graphAnswer = JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "service-configuration-records.json"), "utf8")) as { value: unknown[] };
const cannedRecords = () => parseServiceConfigurationRecords("example.com", graphAnswer.value);

let runtime: MockRuntime;
// Mocks first, then the program's modules (Pulumi's unit-testing pattern).
let components: { DomainDns: typeof DomainDns; RetainTenant: typeof RetainTenant };

before(async () => {
  runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false, outputs: fakeOutputs, call: fakeCall });
  components = {
    DomainDns: (await import("../../components/dns/domain-dns")).DomainDns,
    RetainTenant: (await import("../../program/tenant")).RetainTenant,
  };
});
after(() => runtime.stop());

const byName = (name: string) => resourceNamed(runtime.resources, name);
const childrenOf = (urn: string) => children(runtime.resources, urn);

describe("DomainDns: the autodiscover records", () => {
  it("declares a DNS-only CNAME and SRV with fully-qualified names, parented to the component", async () => {
    new components.DomainDns("plain", { domain: "contoso.com", zoneId: "0123456789abcdef0123456789abcdef" });
    await runtime.settle();
    const component = byName("plain");
    assert.equal(component.type, "retain-m365:dns:DomainDns");
    const children = childrenOf(component.urn);
    assert.deepEqual(children.map((c) => c.name).sort(), ["plain-autodiscover-cname", "plain-autodiscover-srv"]);
    assert.ok(children.every((c) => c.type === DNS_RECORD && c.custom));

    const cname = byName("plain-autodiscover-cname").inputs;
    assert.equal(cname.zoneId, "0123456789abcdef0123456789abcdef");
    assert.equal(cname.name, "autodiscover.contoso.com");
    assert.equal(cname.type, "CNAME");
    assert.equal(cname.content, "autodiscover.outlook.com");
    assert.equal(cname.proxied, false);
    assert.equal(cname.ttl, 3600);

    const srv = byName("plain-autodiscover-srv").inputs;
    assert.equal(srv.name, "_autodiscover._tcp.contoso.com");
    assert.equal(srv.type, "SRV");
    assert.deepEqual(srv.data, { priority: 0, weight: 0, port: 443, target: "autodiscover.outlook.com" });
    assert.equal(srv.priority, 0);
    assert.equal(srv.proxied, false);
    assert.equal(srv.ttl, 3600);
    assert.equal(srv.content, undefined);
  });

  it("refuses arguments that would produce broken records", () => {
    assert.deepEqual(checkDomainDnsArgs({ domain: "example.com", zoneId: "0123456789abcdef0123456789abcdef" }), []);
    const problems = checkDomainDnsArgs({ domain: "Example.com", zoneId: "xyz" });
    assert.equal(problems.length, 2);
    assert.throws(() => new components.DomainDns("broken", { domain: "example.com", zoneId: "xyz" }), /DomainDns broken: zoneId of example\.com/);
  });
});

describe("DomainDns: Microsoft's record set from serviceConfigurationRecords", () => {
  before(async () => {
    new components.DomainDns("m365", {
      domain: "example.com",
      zoneId: "0123456789abcdef0123456789abcdef",
      microsoft365Records: cannedRecords(),
    });
    new components.DomainDns("sfb", {
      domain: "example.com",
      zoneId: "0123456789abcdef0123456789abcdef",
      microsoft365Records: cannedRecords(),
      skypeForBusinessRecords: true,
    });
    // Graph's isOptional: an optional record is not declared (here Intune's enrollment CNAME).
    new components.DomainDns("optional", {
      domain: "example.com",
      zoneId: "0123456789abcdef0123456789abcdef",
      microsoft365Records: cannedRecords().map((r) => (r.label === "enterpriseenrollment.example.com" ? { ...r, isOptional: true } : r)),
    });
    await runtime.settle();
  });

  const TEAMS_ONLY = [
    "autodiscover-cname",
    "autodiscover-srv",
    "m365-cname-enterpriseenrollment",
    "m365-cname-enterpriseregistration",
    "m365-mx",
    "m365-srv-_sipfederationtls._tcp",
    "m365-txt",
  ];

  it("declares one record per Graph record, the autodiscover CNAME only once, and no Skype for Business record", () => {
    const children = childrenOf(byName("m365").urn);
    assert.deepEqual(
      children.map((c) => c.name).sort(),
      TEAMS_ONLY.map((role) => `m365-${role}`),
    );
    const autodiscover = children.filter((c) => c.inputs.name === "autodiscover.example.com");
    assert.equal(autodiscover.length, 1);
    assert.ok(children.every((c) => c.inputs.proxied === false && c.inputs.ttl === 3600));
  });

  it("with skypeForBusinessRecords also declares the sip and lyncdiscover CNAMEs and the _sip._tls SRV", () => {
    const names = childrenOf(byName("sfb").urn).map((c) => c.name);
    assert.deepEqual(names.sort(), [...TEAMS_ONLY, "m365-cname-lyncdiscover", "m365-cname-sip", "m365-srv-_sip._tls"].map((role) => `sfb-${role}`).sort());
  });

  it("leaves out a record Graph marks isOptional", () => {
    const names = childrenOf(byName("optional").urn).map((c) => c.name);
    assert.deepEqual(
      names.sort(),
      TEAMS_ONLY.filter((role) => role !== "m365-cname-enterpriseenrollment").map((role) => `optional-${role}`),
    );
  });

  it("takes the MX target from Graph as given (new mx.microsoft form)", () => {
    const mx = byName("m365-m365-mx").inputs;
    assert.equal(mx.type, "MX");
    assert.equal(mx.name, "example.com");
    assert.equal(mx.content, "example-com.r-v1.mx.microsoft");
    assert.equal(mx.priority, 0);
  });

  it("declares SPF as a TXT record on the domain itself", () => {
    const txt = byName("m365-m365-txt").inputs;
    assert.equal(txt.type, "TXT");
    assert.equal(txt.name, "example.com");
    assert.equal(txt.content, `"v=spf1 include:spf.protection.outlook.com -all"`);
  });

  it("builds SRV names from service, protocol and label, with Graph's priority, weight and port", () => {
    const sip = byName("sfb-m365-srv-_sip._tls").inputs;
    assert.equal(sip.name, "_sip._tls.example.com");
    assert.equal(sip.type, "SRV");
    assert.equal(sip.priority, 100);
    assert.deepEqual(sip.data, { priority: 100, weight: 1, port: 443, target: "sipdir.online.lync.com" });
    const federation = byName("m365-m365-srv-_sipfederationtls._tcp").inputs;
    assert.equal(federation.name, "_sipfederationtls._tcp.example.com");
    assert.deepEqual(federation.data, { priority: 100, weight: 1, port: 5061, target: "sipfed.online.lync.com" });
  });

  it("points the Teams and Intune CNAMEs where Graph says", () => {
    assert.equal(byName("sfb-m365-cname-sip").inputs.content, "sipdir.online.lync.com");
    assert.equal(byName("sfb-m365-cname-lyncdiscover").inputs.content, "webdir.online.lync.com");
    assert.equal(byName("m365-m365-cname-enterpriseregistration").inputs.content, "enterpriseregistration.windows.net");
    assert.equal(byName("m365-m365-cname-enterpriseenrollment").inputs.content, "enterpriseenrollment.manage.microsoft.com");
  });
});

describe("DomainDns: a zone that already serves the organisation's mail", () => {
  /** Resource options as the component passed them, by child name. */
  const options = new Map<string, pulumi.CustomResourceOptions>();
  const capture: pulumi.ResourceTransformation = (args) => {
    options.set(args.name, args.opts as pulumi.CustomResourceOptions);
    return undefined;
  };
  const importId = `${ZONE}/${"ab".repeat(16)}`;

  before(async () => {
    new components.DomainDns(
      "adopting",
      {
        domain: "example.com",
        zoneId: ZONE,
        microsoft365Records: cannedRecords(),
        existingRecords: { "autodiscover-cname": { import: importId }, "m365-mx": "leave" },
        cloudflareApiToken: "token-value",
      },
      { transformations: [capture] },
    );
    new components.DomainDns("no-spf", {
      domain: "example.org",
      zoneId: ZONE,
      microsoft365Records: cannedRecords().map((r) => ({ ...r, label: r.label.replace(/example\.com$/, "example.org") })),
      existingRecords: { "m365-txt": "leave" },
    });
    await runtime.settle();
  });

  it("merges into the zone's SPF record through an SpfInclude, named as the TXT record was, the token a secret", () => {
    const spf = byName("adopting-m365-txt");
    assert.equal(spf.type, SPF_INCLUDE);
    assert.equal(spf.parent, byName("adopting").urn);
    assert.equal(spf.inputs.name, "example.com");
    assert.equal(spf.inputs.content, `"v=spf1 include:spf.protection.outlook.com -all"`);
    assert.ok(isSecretValue(spf.inputs.apiToken), "the Cloudflare token must reach the engine as a secret");
    assert.ok(!childrenOf(byName("adopting").urn).some((c) => c.type === DNS_RECORD && c.inputs.type === "TXT"), "no second SPF TXT record");
  });

  it("adopts a record by its import id, leaves out a record the admin keeps, and leaves every record in the zone on destroy", () => {
    assert.equal(options.get("adopting-autodiscover-cname")?.import, importId);
    assert.equal(options.get("adopting-autodiscover-srv")?.import, undefined);
    const names = childrenOf(byName("adopting").urn).map((c) => c.name);
    assert.ok(!names.includes("adopting-m365-mx"), "the gateway's MX is kept: Microsoft's is not declared");
    assert.equal(names.length, 6);
    const records = [...options.entries()].filter(([name]) => name !== "adopting" && name !== "adopting-m365-txt");
    assert.equal(records.length, 5);
    assert.ok(
      records.every(([, opts]) => opts.retainOnDelete === true),
      "autodiscover, MX and Microsoft's records stay on destroy",
    );
  });

  it("with SPF left to the organisation declares no SPF resource at all", () => {
    assert.ok(!childrenOf(byName("no-spf").urn).some((c) => c.name.endsWith("-m365-txt")));
  });

  it("refuses existingRecords that name no declared record, import ids of another form or zone, and an imported SPF record", () => {
    const args = { domain: "example.com", zoneId: ZONE, microsoft365Records: cannedRecords() };
    assert.deepEqual(
      checkDomainDnsArgs({ ...args, existingRecords: { "m365-mx": { import: importId }, "m365-txt": "leave", "autodiscover-srv": "leave" } }),
      [],
    );
    assert.deepEqual(checkDomainDnsArgs({ ...args, existingRecords: { "m365-cname-www": "leave" } }), [
      'existingRecords["m365-cname-www"] of example.com: example.com declares no such record (it declares autodiscover-cname, autodiscover-srv, m365-mx, m365-txt, m365-srv-_sipfederationtls._tcp, m365-cname-enterpriseregistration, m365-cname-enterpriseenrollment)',
    ]);
    const otherZone = `${"f".repeat(32)}/${"ab".repeat(16)}`;
    assert.deepEqual(checkDomainDnsArgs({ ...args, existingRecords: { "m365-mx": { import: otherZone } } }), [
      `existingRecords["m365-mx"] of example.com: import id "${otherZone}" is not "<zoneId>/<recordId>" in zone ${ZONE}`,
    ]);
    assert.match(
      checkDomainDnsArgs({ ...args, existingRecords: { "m365-txt": { import: importId } } }).join(),
      /the SPF record is merged into, never imported/,
    );
    assert.match(checkDomainDnsArgs({ ...args, existingRecords: { "m365-mx": "keep" as never } }).join(), /must be "leave" or \{ import/);
    assert.throws(
      () => new components.DomainDns("bad-import", { ...args, existingRecords: { "autodiscover-cname": { import: "42" } } }),
      /DomainDns bad-import: existingRecords\["autodiscover-cname"\]/,
    );
  });

  it("lists the records it declares for classification, each classified against the zone", () => {
    const declared = declaredDomainRecords({ domain: "example.com", zoneId: ZONE, microsoft365Records: cannedRecords(), skypeForBusinessRecords: true });
    assert.deepEqual(
      declared.map((r) => [r.key, r.group, r.type, r.name]),
      [
        ["autodiscover-cname", "autodiscover", "CNAME", "autodiscover.example.com"],
        ["autodiscover-srv", "autodiscover", "SRV", "_autodiscover._tcp.example.com"],
        ["m365-mx", "mx", "MX", "example.com"],
        ["m365-txt", "spf", "TXT", "example.com"],
        ["m365-cname-sip", "microsoft365", "CNAME", "sip.example.com"],
        ["m365-cname-lyncdiscover", "microsoft365", "CNAME", "lyncdiscover.example.com"],
        ["m365-srv-_sip._tls", "microsoft365", "SRV", "_sip._tls.example.com"],
        ["m365-srv-_sipfederationtls._tcp", "microsoft365", "SRV", "_sipfederationtls._tcp.example.com"],
        ["m365-cname-enterpriseregistration", "microsoft365", "CNAME", "enterpriseregistration.example.com"],
        ["m365-cname-enterpriseenrollment", "microsoft365", "CNAME", "enterpriseenrollment.example.com"],
      ],
    );
    const zone: ExistingRecord[] = [
      { id: "a".repeat(32), type: "CNAME", name: "autodiscover.example.com", content: "autodiscover.outlook.com", proxied: false, ttl: 1 },
      { id: "b".repeat(32), type: "MX", name: "example.com", content: "mx.gateway.example", priority: 10, proxied: false, ttl: 1 },
      { id: "c".repeat(32), type: "TXT", name: "example.com", content: '"v=spf1 include:gateway.example ~all"', proxied: false, ttl: 1 },
    ];
    const findings = classifyExisting(declared, zone, cloudflareImportId(ZONE), { mx: "keep" });
    assert.deepEqual(
      findings.map((f) => f.action),
      ["adopt", "create", "leave", "merge", "create", "create", "create", "create", "create", "create"],
    );
    const actions = existingRecordActions(findings);
    assert.deepEqual(
      checkDomainDnsArgs({
        domain: "example.com",
        zoneId: ZONE,
        microsoft365Records: cannedRecords(),
        skypeForBusinessRecords: true,
        existingRecords: actions,
      }),
      [],
    );
    assert.deepEqual(
      declared.filter((r) => r.skypeForBusiness).map((r) => r.key),
      ["m365-cname-sip", "m365-cname-lyncdiscover", "m365-srv-_sip._tls"],
      "the Skype for Business records are marked: never repointed",
    );
  });

  it("cannot list Microsoft's records from the offline set, whose values only Graph knows", async () => {
    const offline = await new OfflineServiceConfigurationRecordSource().recordsFor("example.com");
    assert.throws(
      () => declaredDomainRecords({ domain: "example.com", zoneId: ZONE, microsoft365Records: offline }),
      /MX example\.com is known only at deploy time/,
    );
  });
});

describe("RetainTenant", () => {
  it("owns one DomainDns per configured domain, Microsoft's set only where asked", async () => {
    const result = validateConfig(toRaw(validRawValues()));
    assert.ok(result.ok);
    new components.RetainTenant("tenant", { config: result.config, microsoft365Records: { "example.com": cannedRecords() } });
    await runtime.settle();
    const tenant = byName("tenant");
    assert.equal(tenant.type, "retain-m365:tenant:RetainTenant");
    const dns = childrenOf(tenant.urn).filter((c) => c.type === "retain-m365:dns:DomainDns");
    assert.deepEqual(dns.map((d) => d.name).sort(), ["tenant-dns-example.com", "tenant-dns-example.net"]);
    assert.equal(childrenOf(byName("tenant-dns-example.com").urn).length, 7, "Teams-only by default: no Skype for Business record");
    assert.deepEqual(
      childrenOf(byName("tenant-dns-example.net").urn)
        .map((r) => r.inputs.name)
        .sort(),
      ["_autodiscover._tcp.example.net", "autodiscover.example.net"],
    );
  });

  it("fails clearly when a domain wants Microsoft's records but none were read", () => {
    const result = validateConfig(toRaw(validRawValues()));
    assert.ok(result.ok);
    assert.throws(
      () => new components.RetainTenant("unread", { config: result.config, microsoft365Records: {} }),
      /microsoft365Records is on for example\.com but no record set was read/,
    );
  });
});

describe("record mapping (pure)", () => {
  it("declares TXT content as quoted strings, splitting values longer than 255 characters", () => {
    assert.equal(txtContent("short"), '"short"');
    const long = "a".repeat(300);
    assert.equal(txtContent(long), `"${"a".repeat(255)}" "${"a".repeat(45)}"`);
  });

  it("refuses a Graph record outside the domain", () => {
    const records = parseServiceConfigurationRecords("example.com", [
      { recordType: "CName", label: "sip.example.org", canonicalName: "sipdir.online.lync.com", ttl: 3600 },
    ]);
    assert.throws(() => microsoft365RecordSpecs("example.com", records), /CName record sip\.example\.org is not inside the domain example\.com/);
  });

  it("names a malformed Graph record and skips record types it does not manage", () => {
    assert.deepEqual(parseServiceConfigurationRecords("example.com", [{ recordType: "Ptr", label: "x" }]), []);
    assert.throws(
      () => parseServiceConfigurationRecords("example.com", [{ recordType: "Mx", label: "example.com", preference: 0 }]),
      /malformed Mx record for example\.com \(item 0, field mailExchange/,
    );
  });
});
