import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  hasMicrosoftInclude,
  isBareSpfRecord,
  isSpfRecord,
  planSpfInclude,
  spfText,
  withMicrosoftInclude,
  withoutMicrosoftInclude,
} from "../../components/dns/spf";

const OURS = "include:spf.protection.outlook.com";
const txt = (id: string, content: string) => ({ id, content });

describe("SPF: adding Microsoft's include to the one SPF record", () => {
  it("no SPF record: creates Microsoft's record, or Graph's value when given", () => {
    assert.deepEqual(planSpfInclude("contoso.com", []), { action: "create", content: `v=spf1 ${OURS} -all` });
    assert.deepEqual(planSpfInclude("contoso.com", [txt("t1", "google-site-verification=abc")], `v=spf1 ${OURS} ~all`), {
      action: "create",
      content: `v=spf1 ${OURS} ~all`,
    });
  });

  it("ours only: nothing to change", () => {
    assert.deepEqual(planSpfInclude("contoso.com", [txt("s1", `v=spf1 ${OURS} -all`)]), { action: "none", recordId: "s1" });
  });

  it("others and ~all: adds ours before ~all, keeping every other term and its order", () => {
    const before = "v=spf1 ip4:192.0.2.0/24 include:_spf.google.com ~all";
    assert.deepEqual(planSpfInclude("contoso.com", [txt("v", "MS=ms12345678"), txt("s1", before)]), {
      action: "update",
      recordId: "s1",
      before,
      content: `v=spf1 ip4:192.0.2.0/24 include:_spf.google.com ${OURS} ~all`,
    });
  });

  it("others and -all: adds ours before -all, which stays -all", () => {
    const change = planSpfInclude("contoso.com", [txt("s1", "v=spf1 mx include:mailgun.org a:gw.contoso.com -all")]);
    assert.equal(change.action, "update");
    assert.equal(change.action === "update" && change.content, `v=spf1 mx include:mailgun.org a:gw.contoso.com ${OURS} -all`);
  });

  it("ours already present among others, in another letter case: no change", () => {
    const content = "V=SPF1 include:_spf.google.com INCLUDE:Spf.Protection.Outlook.COM ?all";
    assert.ok(isSpfRecord(content) && hasMicrosoftInclude(content));
    assert.deepEqual(planSpfInclude("contoso.com", [txt("s1", content)]), { action: "none", recordId: "s1" });
    assert.equal(withMicrosoftInclude(content), content);
  });

  it("two SPF records at the name: a conflict, never picking one", () => {
    const change = planSpfInclude("contoso.com", [txt("s1", `v=spf1 ${OURS} -all`), txt("s2", '"v=spf1 include:_spf.google.com ~all"')]);
    assert.equal(change.action, "conflict");
    assert.match(change.action === "conflict" ? change.detail : "", /^contoso\.com has 2 SPF TXT records .*merge them into one record/);
  });

  it("removal takes out ours only, the rest as it was", () => {
    assert.equal(withoutMicrosoftInclude(`v=spf1 ip4:192.0.2.1 ${OURS} include:_spf.google.com ~all`), "v=spf1 ip4:192.0.2.1 include:_spf.google.com ~all");
    assert.equal(withoutMicrosoftInclude(`v=spf1 mx ${OURS}`), "v=spf1 mx");
    assert.equal(withoutMicrosoftInclude("v=spf1 mx -all"), "v=spf1 mx -all");
    assert.ok(isBareSpfRecord(withoutMicrosoftInclude(`v=spf1 ${OURS} -all`)));
    assert.ok(!isBareSpfRecord("v=spf1 mx -all"));
  });
});

describe("SPF: records as Cloudflare hands them back", () => {
  it("keeps a quoted record quoted", () => {
    assert.equal(withMicrosoftInclude('"v=spf1 include:_spf.google.com ~all"'), `"v=spf1 include:_spf.google.com ${OURS} ~all"`);
    assert.equal(withoutMicrosoftInclude(`"v=spf1 ${OURS} include:_spf.google.com ~all"`), '"v=spf1 include:_spf.google.com ~all"');
  });

  it("reads a record split into several strings joined, and edits only the string that holds the place", () => {
    const split = '"v=spf1 ip4:192.0.2.0/24 " "include:_spf.google.com -all"';
    assert.equal(spfText(split), "v=spf1 ip4:192.0.2.0/24 include:_spf.google.com -all");
    assert.ok(isSpfRecord(split));
    assert.equal(withMicrosoftInclude(split), `"v=spf1 ip4:192.0.2.0/24 " "include:_spf.google.com ${OURS} -all"`);
    assert.ok(hasMicrosoftInclude(withMicrosoftInclude(split)));
  });

  it("splits again every 255 characters when a string would grow too long", () => {
    const long = `v=spf1 ${Array.from({ length: 15 }, (_, i) => `ip4:192.0.2.${100 + i}`).join(" ")} ~all`;
    assert.ok(long.length <= 255 && long.length + OURS.length + 1 > 255);
    const added = withMicrosoftInclude(`"${long}"`);
    const strings = [...added.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? "");
    assert.ok(strings.length === 2 && strings.every((s) => s.length <= 255));
    assert.equal(strings.join(""), long.replace(" ~all", ` ${OURS} ~all`));
  });

  it("adds ours before redirect=, and at the end of a record with neither all nor redirect", () => {
    assert.equal(withMicrosoftInclude("v=spf1 redirect=_spf.contoso.com"), `v=spf1 ${OURS} redirect=_spf.contoso.com`);
    assert.equal(withMicrosoftInclude("v=spf1 mx"), `v=spf1 mx ${OURS}`);
  });

  it("does not take a TXT record that merely mentions v=spf1 for an SPF record", () => {
    assert.ok(!isSpfRecord("google-site-verification=v=spf1"));
    assert.ok(!isSpfRecord("v=spf10 mx"));
    assert.ok(isSpfRecord("v=spf1"));
  });
});
