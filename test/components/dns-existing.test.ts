import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  classifyExisting,
  existingRecordActions,
  type DeclaredRecord,
  type DnsDecisions,
  type ExistingRecord,
  type Finding,
} from "../../components/dns/existing";
import { cloudflareImportId } from "../../components/dns/providers/cloudflare/zone";

const ZONE = "0123456789abcdef0123456789abcdef";
const id = (n: number) => n.toString(16).padStart(32, "0");

const CNAME: DeclaredRecord = {
  key: "autodiscover-cname",
  group: "autodiscover",
  type: "CNAME",
  name: "autodiscover.contoso.com",
  content: "autodiscover.outlook.com",
  proxied: false,
};
const MX: DeclaredRecord = {
  key: "m365-mx",
  group: "mx",
  type: "MX",
  name: "contoso.com",
  content: "contoso-com.mail.protection.outlook.com",
  priority: 0,
  proxied: false,
};
const SPF: DeclaredRecord = {
  key: "m365-txt",
  group: "spf",
  type: "TXT",
  name: "contoso.com",
  content: "v=spf1 include:spf.protection.outlook.com -all",
  proxied: false,
};
const SIP_SRV: DeclaredRecord = {
  key: "m365-srv-_sip._tls",
  group: "microsoft365",
  type: "SRV",
  name: "_sip._tls.contoso.com",
  priority: 100,
  data: { priority: 100, weight: 1, port: 443, target: "sipdir.online.lync.com" },
  proxied: false,
};

function live(n: number, type: string, name: string, content: string, extra: Partial<ExistingRecord> = {}): ExistingRecord {
  return { id: id(n), type, name, content, proxied: false, ttl: 1, ...extra };
}

function one(declared: DeclaredRecord, existing: ExistingRecord[], decisions: DnsDecisions = {}): Finding {
  const [finding] = classifyExisting([declared], existing, cloudflareImportId(ZONE), decisions);
  assert.ok(finding);
  assert.equal(finding.key, declared.key);
  assert.equal(finding.name, declared.name);
  return finding;
}

const importOf = (finding: Finding) => (finding.action === "adopt" ? finding.importId : undefined);
const decider = (finding: Finding) => (finding.action === "conflict" ? finding.decidedBy : undefined);

describe("classifyExisting: CNAMEs", () => {
  it("nothing at the name: create", () => {
    const finding = one(CNAME, [live(1, "A", "www.contoso.com", "192.0.2.1")]);
    assert.equal(finding.action, "create");
    assert.match(finding.detail, /^CNAME autodiscover\.contoso\.com → autodiscover\.outlook\.com: nothing is there/);
  });

  it("exists as declared (another TTL, another comment, a trailing dot): adopt by <zoneId>/<id>", () => {
    const finding = one(CNAME, [live(7, "CNAME", "Autodiscover.contoso.com", "autodiscover.outlook.com.", { ttl: 300, comment: "set by hand" })]);
    assert.equal(finding.action, "adopt");
    assert.equal(importOf(finding), `${ZONE}/${id(7)}`);
    assert.match(finding.detail, /exists as declared: the deployment takes it over\.$/);
  });

  it("a CNAME elsewhere, a proxied one, or another type at the name: a conflict for the autodiscover decision", () => {
    const elsewhere = one(CNAME, [live(1, "CNAME", "autodiscover.contoso.com", "autodiscover.mailgw.example")]);
    assert.equal(decider(elsewhere), "autodiscover");
    assert.equal(
      elsewhere.detail,
      "autodiscover.contoso.com has CNAME → autodiscover.mailgw.example where CNAME autodiscover.contoso.com → autodiscover.outlook.com is declared.",
    );
    const proxied = one(CNAME, [live(1, "CNAME", "autodiscover.contoso.com", "autodiscover.outlook.com", { proxied: true })]);
    assert.equal(decider(proxied), "autodiscover");
    assert.match(proxied.detail, /has CNAME → autodiscover\.outlook\.com \(proxied\) where/);
    const a = one(CNAME, [live(1, "A", "autodiscover.contoso.com", "192.0.2.10"), live(2, "TXT", "autodiscover.contoso.com", "token=s3cr3t")]);
    assert.equal(decider(a), "autodiscover");
    assert.match(a.detail, /has A → 192\.0\.2\.10, a TXT record where/);
    assert.ok(!a.detail.includes("s3cr3t"), "a TXT value is never repeated");
  });

  it("replace: the one CNAME there is adopted and replaced; another type at the name stays a conflict", () => {
    const replaced = one(CNAME, [live(3, "CNAME", "autodiscover.contoso.com", "autodiscover.mailgw.example")], { autodiscover: "replace" });
    assert.equal(importOf(replaced), `${ZONE}/${id(3)}`);
    assert.match(replaced.detail, /takes it over and replaces it with CNAME autodiscover\.contoso\.com → autodiscover\.outlook\.com/);
    const a = one(CNAME, [live(1, "A", "autodiscover.contoso.com", "192.0.2.10")], { autodiscover: "replace" });
    assert.equal(decider(a), "autodiscover");
    assert.match(a.detail, /replacing does not settle it/);
  });

  it("leave: not declared, the detail says what stays", () => {
    const finding = one(CNAME, [live(1, "CNAME", "autodiscover.contoso.com", "autodiscover.mailgw.example")], { autodiscover: "leave" });
    assert.equal(finding.action, "leave");
    assert.match(finding.detail, /is not declared: what is at autodiscover\.contoso\.com \(CNAME → autodiscover\.mailgw\.example\) stays as it is/);
    assert.equal(one(CNAME, [], { autodiscover: "leave" }).action, "create", "a decision settles conflicts only");
  });
});

describe("classifyExisting: MX", () => {
  const gateway = live(4, "MX", "contoso.com", "mx1.mailgateway.example", { priority: 10 });

  it("an MX to a gateway: a conflict for the mx decision", () => {
    const finding = one(MX, [gateway, live(9, "TXT", "contoso.com", "v=spf1 -all")]);
    assert.equal(decider(finding), "mx");
    assert.match(
      finding.detail,
      /^contoso\.com has MX → 10 mx1\.mailgateway\.example where MX contoso\.com → 0 contoso-com\.mail\.protection\.outlook\.com is declared\.$/,
    );
  });

  it("keep leaves the gateway's MX; replace adopts it to be replaced", () => {
    const kept = one(MX, [gateway], { mx: "keep" });
    assert.equal(kept.action, "leave");
    assert.match(kept.detail, /MX → 10 mx1\.mailgateway\.example\) stays as it is/);
    const replaced = one(MX, [gateway], { mx: "replace" });
    assert.equal(importOf(replaced), `${ZONE}/${id(4)}`);
    assert.match(replaced.detail, /replaces it/);
  });

  it("several MX records stay a conflict with replace: the deployment never deletes others", () => {
    const finding = one(MX, [gateway, live(5, "MX", "contoso.com", "mx2.mailgateway.example", { priority: 20 })], { mx: "replace" });
    assert.equal(decider(finding), "mx");
    assert.match(finding.detail, /never deletes others/);
  });

  it("Microsoft's MX already there with another preference: adopted, saying what changes", () => {
    const finding = one(MX, [live(6, "MX", "contoso.com", "contoso-com.mail.protection.outlook.com", { priority: 10 })]);
    assert.equal(importOf(finding), `${ZONE}/${id(6)}`);
    assert.match(finding.detail, /takes it over \(its preference 10 becomes 0\)/);
  });
});

describe("classifyExisting: Microsoft's SRV records", () => {
  it("as declared: adopt; pointing elsewhere: a conflict for the microsoft365 decision, settled by leave", () => {
    const same = live(8, "SRV", "_sip._tls.contoso.com", "1 443 sipdir.online.lync.com", {
      priority: 100,
      data: { priority: 100, weight: 1, port: 443, target: "sipdir.online.lync.com" },
    });
    assert.equal(importOf(one(SIP_SRV, [same])), `${ZONE}/${id(8)}`);
    const other = live(8, "SRV", "_sip._tls.contoso.com", "1 5061 sip.onprem.example", { priority: 100 });
    const conflict = one(SIP_SRV, [other]);
    assert.equal(decider(conflict), "microsoft365");
    assert.match(conflict.detail, /has SRV → 100 1 5061 sip\.onprem\.example where SRV _sip\._tls\.contoso\.com → 100 1 443 sipdir\.online\.lync\.com/);
    assert.equal(one(SIP_SRV, [other], { microsoft365: "leave" }).action, "leave");
    assert.equal(importOf(one(SIP_SRV, [other], { microsoft365: "replace" })), `${ZONE}/${id(8)}`);
  });
});

describe("classifyExisting: the shared SPF record", () => {
  it("none: create; one without ours: merge; one with ours: merge, nothing to add", () => {
    const none = one(SPF, [live(1, "TXT", "contoso.com", "MS=ms12345678")]);
    assert.equal(none.action, "create");
    assert.match(none.detail, /has no SPF record: the deployment creates TXT v=spf1 include:spf\.protection\.outlook\.com -all/);
    const without = one(SPF, [live(2, "TXT", "contoso.com", '"v=spf1 include:mailgw.example ~all"')]);
    assert.equal(without.action, "merge");
    assert.match(without.detail, /gets include:spf\.protection\.outlook\.com added/);
    const withOurs = one(SPF, [live(2, "TXT", "contoso.com", "v=spf1 include:spf.protection.outlook.com include:mailgw.example ~all")]);
    assert.equal(withOurs.action, "merge");
    assert.match(withOurs.detail, /already includes include:spf\.protection\.outlook\.com: nothing to add/);
  });

  it("two SPF records: a conflict for the spf decision; leave leaves SPF alone whatever is there", () => {
    const records = [live(1, "TXT", "contoso.com", "v=spf1 mx -all"), live(2, "TXT", "contoso.com", "v=spf1 include:mailgw.example ~all")];
    const conflict = one(SPF, records);
    assert.equal(decider(conflict), "spf");
    assert.match(conflict.detail, /contoso\.com has 2 SPF TXT records/);
    assert.equal(one(SPF, records, { spf: "leave" }).action, "leave");
    const empty = one(SPF, [], { spf: "leave" });
    assert.equal(empty.action, "leave");
    assert.match(empty.detail, /no SPF record is created/);
    assert.equal(one(SPF, records, { spf: "merge" }).action, "conflict");
  });
});

describe("existingRecordActions", () => {
  it("gives the component an import per adopted record and leave per left record, nothing for new, merged or conflicting ones", () => {
    const gateway = live(4, "MX", "contoso.com", "mx1.mailgateway.example", { priority: 10 });
    const findings = classifyExisting(
      [CNAME, MX, SPF, SIP_SRV],
      [live(7, "CNAME", "autodiscover.contoso.com", "autodiscover.outlook.com"), gateway, live(2, "TXT", "contoso.com", "v=spf1 ~all")],
      cloudflareImportId(ZONE),
      { mx: "keep" },
    );
    assert.deepEqual(
      findings.map((f) => [f.key, f.action]),
      [
        ["autodiscover-cname", "adopt"],
        ["m365-mx", "leave"],
        ["m365-txt", "merge"],
        ["m365-srv-_sip._tls", "create"],
      ],
    );
    assert.deepEqual(existingRecordActions(findings), { "autodiscover-cname": { import: `${ZONE}/${id(7)}` }, "m365-mx": "leave" });
  });
});

describe("classifyExisting: Skype for Business records (skypeForBusinessRecords: true)", () => {
  const SFB_SRV: DeclaredRecord = { ...SIP_SRV, skypeForBusiness: true };
  const SFB_CNAME: DeclaredRecord = {
    key: "m365-cname-sip",
    group: "microsoft365",
    type: "CNAME",
    name: "sip.contoso.com",
    content: "sipdir.online.lync.com",
    proxied: false,
    skypeForBusiness: true,
  };

  it("a hybrid tenant's own records are left alone, never repointed, even with microsoft365: replace", () => {
    const onPremises = [live(1, "CNAME", "sip.contoso.com", "sip.onprem.contoso.com")];
    for (const decisions of [{}, { microsoft365: "replace" as const }, { microsoft365: "leave" as const }]) {
      const finding = one(SFB_CNAME, onPremises, decisions);
      assert.equal(finding.action, "leave", JSON.stringify(decisions));
      assert.match(
        finding.detail,
        /sip\.contoso\.com \(CNAME → sip\.onprem\.contoso\.com\) is a Skype for Business record, a hybrid tenant's own perhaps, and is never repointed/,
      );
    }
    const srv = one(SFB_SRV, [live(2, "SRV", "_sip._tls.contoso.com", "1 443 sip.onprem.contoso.com", { priority: 100 })], { microsoft365: "replace" });
    assert.equal(srv.action, "leave");
    assert.deepEqual(existingRecordActions([srv]), { "m365-srv-_sip._tls": "leave" }, "the deployment does not declare it");
  });

  it("one there as declared is adopted; none there is created", () => {
    assert.equal(one(SFB_CNAME, [live(3, "CNAME", "sip.contoso.com", "sipdir.online.lync.com")]).action, "adopt");
    assert.equal(one(SFB_CNAME, []).action, "create");
  });
});
