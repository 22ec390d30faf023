import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assessSpf, countSpfLookups, dnsTxtLookup, spfLookupLevel, type TxtLookup } from "../../components/dns/spf-lookups";
import { classifyExisting, type DeclaredRecord, type ExistingRecord } from "../../components/dns/existing";
import { leadsToMicrosoft, planSpfInclude } from "../../components/dns/spf";
import { cloudflareImportId } from "../../components/dns/providers/cloudflare/zone";
import { startTxtServer, type TxtServer } from "../support/dns-server";

// SPF's 10-lookup limit (RFC 7208 §4.6.4), counted through a real DNS server on loopback.

const MICROSOFT = "v=spf1 include:spf.protection.outlook.com -all";
const ZONE = "0123456789abcdef0123456789abcdef";
const SPF: DeclaredRecord = { key: "m365-txt", group: "spf", type: "TXT", name: "contoso.com", content: MICROSOFT, proxied: false };

let dns: TxtServer;
let lookup: TxtLookup;
before(async () => {
  dns = await startTxtServer({
    // Microsoft's records as public DNS captures show them (2024–2026): two lookups together.
    "spf.protection.outlook.com": ["v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/15 include:spfa.protection.outlook.com -all"],
    "spfa.protection.outlook.com": ["v=spf1 ip4:40.92.0.0/15 ip6:2a01:111:f400::/48 -all"],
    "_spf.gateway.example": ["v=spf1 include:_spf1.gateway.example include:_spf2.gateway.example ~all"],
    "_spf1.gateway.example": ["v=spf1 ip4:192.0.2.0/24 -all"],
    "_spf2.gateway.example": ["v=spf1 a:relay.gateway.example mx -all"],
    "newsletter.example": ["v=spf1 exists:%{i}._spf.newsletter.example ip4:198.51.100.0/24 ~all"],
    "_spf.contoso.com": ["v=spf1 include:spf.protection.outlook.com ip4:203.0.113.0/24 -all"],
    "not-spf.example": ["google-site-verification=abc"],
    "loop.example": ["v=spf1 include:loop.example -all"],
  });
  lookup = dnsTxtLookup(dns.address);
});
after(() => dns.close());

describe("counting an SPF record's DNS lookups (RFC 7208 §4.6.4)", () => {
  it("include:spf.protection.outlook.com costs 2: the include and its spfa include", async () => {
    const counted = await countSpfLookups(MICROSOFT, lookup);
    assert.deepEqual(counted, { count: 2, lowerBound: false, unfollowed: [], reachesMicrosoft: true });
    assert.ok(dns.queries.includes("spfa.protection.outlook.com"), "followed through DNS");
  });

  it("counts include, a, mx, ptr, exists and an effective redirect, recursively; not all, ip4, ip6 or exp", async () => {
    // 1 a + 1 mx + 1 ptr + 1 exists + include:_spf.gateway.example (1 + 2 nested + a + mx in _spf2 = 5) = 9
    const record = "v=spf1 a mx ptr exists:%{l}.x.example include:_spf.gateway.example ip4:192.0.2.1 ip6:2001:db8::1 exp=explain.example ~all";
    assert.equal((await countSpfLookups(record, lookup)).count, 9);
    // redirect counts (and is followed) only without an `all` mechanism (§6.1).
    assert.equal((await countSpfLookups("v=spf1 ip4:192.0.2.1 redirect=_spf.gateway.example", lookup)).count, 5);
    assert.equal((await countSpfLookups("v=spf1 ip4:192.0.2.1 redirect=_spf.gateway.example -all", lookup)).count, 0);
  });

  it("says when a count is a lower bound: an unresolvable include, one without SPF, a macro; Microsoft's then costs 2 still", async () => {
    const counted = await countSpfLookups("v=spf1 include:gone.example include:not-spf.example include:%{d}.macro.example ~all", lookup);
    assert.equal(counted.count, 3);
    assert.equal(counted.lowerBound, true);
    assert.deepEqual(counted.unfollowed, [
      "include:gone.example (not resolvable)",
      "include:not-spf.example (no SPF record there)",
      "include:%{d}.macro.example (a macro, known only per message)",
    ]);
    const offline = await countSpfLookups(MICROSOFT, undefined);
    assert.deepEqual([offline.count, offline.lowerBound], [2, true], "Microsoft's include costs at least 2 without DNS");
    const unreachable = await countSpfLookups(MICROSOFT, async () => undefined);
    assert.deepEqual([unreachable.count, unreachable.lowerBound], [2, true]);
  });

  it("an include loop ends, over the limit", async () => {
    assert.equal(spfLookupLevel(await countSpfLookups("v=spf1 include:loop.example -all", lookup)), "over");
  });
});

describe("the merged record against the limit: a conflict over 10, a notice at 9–10", () => {
  const zone = (content: string): ExistingRecord[] => [
    { id: "c".repeat(32), type: "TXT", name: "contoso.com", content: `"${content}"`, proxied: false, ttl: 1 },
  ];
  const classify = async (content: string) => {
    const assessment = await assessSpf(
      zone(content).map((r) => r.content),
      MICROSOFT,
      lookup,
    );
    const [finding] = classifyExisting([SPF], zone(content), cloudflareImportId(ZONE), {}, assessment);
    return { finding: finding!, assessment };
  };

  it("9 lookups with Microsoft's include added: past 10 → a conflict for the spf decision, in one sentence", async () => {
    // include:_spf.gateway.example (5) + a + mx + include:newsletter.example (2) = 9; Microsoft's 2 more make 11.
    const { finding, assessment } = await classify("v=spf1 include:_spf.gateway.example a mx include:newsletter.example ~all");
    assert.equal(assessment.current?.count, 9);
    assert.equal(assessment.merged?.count, 11);
    assert.deepEqual([finding.action, finding.action === "conflict" && finding.decidedBy], ["conflict", "spf"]);
    assert.equal(
      finding.detail,
      "contoso.com's SPF record with include:spf.protection.outlook.com added needs 11 DNS lookups, over SPF's limit of 10 (RFC 7208 §4.6.4), " +
        "which makes SPF fail for all of the domain's mail; make room in it first (fewer includes, or ip4/ip6 in their place), or leave SPF to the organisation.",
    );
    const left = classifyExisting(
      [SPF],
      zone("v=spf1 include:_spf.gateway.example a mx include:newsletter.example ~all"),
      cloudflareImportId(ZONE),
      { spf: "leave" },
      {},
    );
    assert.equal(left[0]!.action, "leave", "onExisting.spf: leave settles it");
  });

  it("8 with Microsoft's added is 10: merged, at the limit (a notice: spfLookupLevel near)", async () => {
    const { finding, assessment } = await classify("v=spf1 include:_spf.gateway.example a mx ~all");
    assert.equal(finding.action, "merge");
    assert.deepEqual([assessment.merged?.count, spfLookupLevel(assessment.merged!)], [9, "near"]);
    const ten = await classify("v=spf1 include:_spf.gateway.example a mx ptr ~all");
    assert.deepEqual([ten.finding.action, ten.assessment.merged?.count, spfLookupLevel(ten.assessment.merged!)], ["merge", 10, "near"]);
  });

  it("a lower bound past 10 is a conflict too, and says so", async () => {
    const { finding } = await classify("v=spf1 include:_spf.gateway.example a mx ptr include:gone.example ~all");
    assert.equal(finding.action, "conflict");
    assert.match(finding.detail, /needs at least 11 DNS lookups \(include:gone\.example \(not resolvable\) could not be followed\), over SPF's limit of 10/);
  });
});

describe("redirect=: an include is never added after a redirect that leads to Microsoft", () => {
  it("redirect=spf.protection.outlook.com in effect: nothing to add, even without DNS", () => {
    assert.equal(leadsToMicrosoft("v=spf1 redirect=spf.protection.outlook.com"), true);
    assert.deepEqual(planSpfInclude("contoso.com", [{ id: "r", content: "v=spf1 redirect=spf.protection.outlook.com" }]), { action: "none", recordId: "r" });
    // With an `all` mechanism the redirect is ignored (RFC 7208 §6.1): the include is needed.
    assert.equal(leadsToMicrosoft("v=spf1 redirect=spf.protection.outlook.com ~all"), false);
  });

  it("a redirect to the organisation's record that includes Microsoft's: left as it is, no include added", async () => {
    const content = "v=spf1 redirect=_spf.contoso.com";
    const existing: ExistingRecord[] = [{ id: "d".repeat(32), type: "TXT", name: "contoso.com", content, proxied: false, ttl: 1 }];
    const assessment = await assessSpf([content], MICROSOFT, lookup);
    assert.equal(assessment.merged, undefined, "nothing would be added");
    assert.deepEqual([assessment.current?.count, assessment.current?.reachesMicrosoft], [3, true]);
    const [finding] = classifyExisting([SPF], existing, cloudflareImportId(ZONE), {}, assessment);
    assert.equal(finding!.action, "leave");
    assert.match(finding!.detail, /reaches spf\.protection\.outlook\.com already, through a redirect or an include of its own: nothing is added/);
  });

  it("a redirect elsewhere: the include goes before it, where it is evaluated first", async () => {
    const assessment = await assessSpf(["v=spf1 redirect=_spf.gateway.example"], MICROSOFT, lookup);
    assert.deepEqual([assessment.current?.count, assessment.merged?.count], [5, 7]);
  });
});
