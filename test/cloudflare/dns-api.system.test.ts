import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDnsRecord, deleteDnsRecord, listDnsRecords, updateDnsRecord, type CloudflareApiError, type CloudflareTarget } from "../../cloudflare/dns-api";
import { cloudflareFailure, rateLimited, startCloudflareEmulator, type CloudflareEmulator } from "../../emulators/cloudflare";
import { useCloudflareEmulator } from "../support/cloudflare";
import type { RetryPolicy } from "../../core/retry";
import { recordingClock } from "../support/retry-clock";

const TOKEN = "EditToken_0123456789abcdefghijklmnopqrst";
const READ_ONLY_TOKEN = "ReadToken_0123456789abcdefghijklmnopqrst";
const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const FAST: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2000 };

let cloudflare: CloudflareEmulator;
useCloudflareEmulator({ token: TOKEN, readOnlyToken: READ_ONLY_TOKEN, zones: { [ZONE]: "example.com" } }, (emulator) => (cloudflare = emulator));

const target = (token = TOKEN): CloudflareTarget => ({ endpoint: cloudflare.url, token });
const failureOf = async (promise: Promise<unknown>): Promise<CloudflareApiError> => {
  try {
    await promise;
  } catch (error) {
    return error as CloudflareApiError;
  }
  assert.fail("expected the call to fail");
};

describe("Cloudflare DNS records API client (loopback HTTPS)", () => {
  it("reads every page of a zone's records", async () => {
    cloudflare.state.maxPerPage = 2;
    for (const n of [1, 2, 3, 4, 5]) cloudflare.seed(ZONE, { type: "A", name: `host${n}`, content: `192.0.2.${n}` });
    const records = await listDnsRecords(target(), ZONE, {}, FAST);
    assert.deepEqual(
      records.map((r) => r.name),
      [1, 2, 3, 4, 5].map((n) => `host${n}.example.com`),
    );
    assert.deepEqual(
      cloudflare.requests.map((r) => r.query.get("page")),
      ["1", "2", "3"],
    );
  });

  it("filters by exact name and by type", async () => {
    cloudflare.seed(ZONE, { type: "A", name: "www", content: "192.0.2.1" });
    cloudflare.seed(ZONE, { type: "TXT", name: "www", content: "hello" });
    cloudflare.seed(ZONE, { type: "TXT", name: "@", content: "v=spf1 include:spf.protection.outlook.com -all" });
    cloudflare.seed(ZONE, { type: "TXT", name: "wwww", content: "near miss" });
    cloudflare.seed(ZONE, { type: "TXT", name: "xn--bcher-kva", content: "internationalised" });
    const names = async (filter: { type?: string; name?: string }) => (await listDnsRecords(target(), ZONE, filter, FAST)).map((r) => `${r.type} ${r.name}`);
    assert.deepEqual(await names({ name: "WWW.Example.com." }), ["A www.example.com", "TXT www.example.com"]);
    assert.deepEqual(await names({ type: "txt", name: "example.com" }), ["TXT example.com"]);
    assert.deepEqual(await names({ type: "TXT" }), ["TXT www.example.com", "TXT example.com", "TXT wwww.example.com", "TXT xn--bcher-kva.example.com"]);
    assert.deepEqual(await names({ name: "Bücher.example.com" }), ["TXT xn--bcher-kva.example.com"], "names are sent in Punycode");
  });

  it("sends TXT content as quoted character-strings of at most 255 bytes, as the API schema asks; Cloudflare keeps it as sent", async () => {
    const long = `v=spf1 ${Array.from({ length: 40 }, (_, n) => `ip4:192.0.2.${n}`).join(" ")} -all`;
    const created = await createDnsRecord(target(), ZONE, { type: "TXT", name: "@", content: long }, FAST);
    const sent = (cloudflare.requests.at(-1)?.body as { content: string }).content;
    const strings = [...sent.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    assert.ok(strings.length > 1 && strings.every((s) => Buffer.byteLength(s) <= 255), `split in strings of at most 255 bytes: ${sent}`);
    assert.equal(strings.join(""), long, "the strings joined are the text");
    assert.equal(cloudflare.state.records.find((r) => r.id === created.id)?.content, sent, "stored exactly as sent");
    assert.equal(created.content, sent, "read back as sent");

    const escaped = await createDnsRecord(target(), ZONE, { type: "TXT", name: "escaped", content: 'say "hi" \\ bye' }, FAST);
    assert.equal(escaped.content, '"say \\"hi\\" \\\\ bye"');
    const already = await createDnsRecord(target(), ZONE, { type: "TXT", name: "quoted", content: '"v=spf1 " "-all"' }, FAST);
    assert.equal(already.content, '"v=spf1 " "-all"', "quoted strings are sent as they are");
    const patched = await updateDnsRecord(target(), ZONE, escaped.id, { type: "TXT", content: "plain" }, FAST);
    assert.equal(patched.content, '"plain"');
  });

  it("lists by name with the documented name.exact filter", async () => {
    cloudflare.seed(ZONE, { type: "A", name: "www", content: "192.0.2.1" });
    await listDnsRecords(target(), ZONE, { name: "www.example.com" }, FAST);
    assert.deepEqual([...(cloudflare.requests.at(-1)?.query.keys() ?? [])], ["name.exact", "per_page", "page"]);
  });

  it("accepts the scannable API tokens Cloudflare issues since 2026 (cfut_, cfat_)", async () => {
    const userToken = `cfut_${"a1B2c3D4e5".repeat(4)}0f1e2d3c`;
    const own = await startCloudflareEmulator({ token: userToken, zones: { [ZONE]: "example.com" } });
    try {
      assert.deepEqual(await listDnsRecords({ endpoint: own.url, token: userToken }, ZONE, {}, FAST), []);
      const unknown = await failureOf(listDnsRecords({ endpoint: own.url, token: `cfat_${"Z9y8X7w6V5".repeat(4)}0f1e2d3c` }, ZONE, {}, FAST));
      assert.deepEqual([unknown.status, unknown.codes], [403, [10000]], "a well-formed account token Cloudflare does not know");
    } finally {
      await own.close();
    }
  });

  it("creates, changes and deletes records in Cloudflare's shapes", async () => {
    const mx = await createDnsRecord(
      target(),
      ZONE,
      { type: "MX", name: "@", content: "example-com.mail.protection.outlook.com", priority: 0, ttl: 3600 },
      FAST,
    );
    assert.match(mx.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(
      { ...mx, id: undefined },
      {
        id: undefined,
        type: "MX",
        name: "example.com",
        content: "example-com.mail.protection.outlook.com",
        priority: 0,
        ttl: 3600,
        proxied: false,
        comment: null,
      },
    );
    const srv = await createDnsRecord(
      target(),
      ZONE,
      { type: "SRV", name: "_sip._tls", data: { priority: 100, weight: 1, port: 443, target: "sipdir.online.lync.com" } },
      FAST,
    );
    assert.deepEqual(
      [srv.content, srv.priority, srv.data],
      ["1 443 sipdir.online.lync.com", 100, { priority: 100, weight: 1, port: 443, target: "sipdir.online.lync.com" }],
    );
    const txt = await createDnsRecord(target(), ZONE, { type: "TXT", name: "@", content: "MS=ms12345678" }, FAST);
    assert.equal(txt.content, '"MS=ms12345678"', "TXT content is sent as a quoted character-string");

    const changed = await updateDnsRecord(target(), ZONE, mx.id, { content: "other.mail.protection.outlook.com" }, FAST);
    assert.deepEqual([changed.id, changed.content, changed.priority], [mx.id, "other.mail.protection.outlook.com", 0]);
    assert.deepEqual(
      cloudflare.writes().map((r) => r.method),
      ["POST", "POST", "POST", "PATCH"],
    );

    await deleteDnsRecord(target(), ZONE, mx.id, FAST);
    assert.deepEqual((await listDnsRecords(target(), ZONE, { type: "MX" }, FAST)).length, 0);
    const gone = await failureOf(deleteDnsRecord(target(), ZONE, mx.id, FAST));
    assert.deepEqual([gone.status, gone.codes, gone.refused], [404, [81044], false]);
  });

  it("reports a CNAME beside another record (81053), an identical record (81058) and a record beside a CNAME (81054) as one sentence naming the call", async () => {
    cloudflare.seed(ZONE, { type: "A", name: "autodiscover", content: "192.0.2.1" });
    const cname = await failureOf(createDnsRecord(target(), ZONE, { type: "CNAME", name: "autodiscover", content: "autodiscover.outlook.com" }, FAST));
    assert.deepEqual([cname.status, cname.codes, cname.refused], [400, [81053], false]);
    assert.match(
      cname.message,
      new RegExp(
        `^Cloudflare rejected POST /zones/${ZONE}/dns_records with HTTP 400: An A, AAAA, or CNAME record with that host already exists\\. .*\\(81053\\)\\.$`,
      ),
    );
    assert.doesNotMatch(cname.message, /\n/);

    const identical = await failureOf(createDnsRecord(target(), ZONE, { type: "A", name: "autodiscover.example.com", content: "192.0.2.1" }, FAST));
    assert.deepEqual(
      [identical.codes, identical.message],
      [[81058], `Cloudflare rejected POST /zones/${ZONE}/dns_records with HTTP 400: An identical record already exists (81058).`],
    );

    cloudflare.seed(ZONE, { type: "CNAME", name: "lyncdiscover", content: "webdir.online.lync.com" });
    const besideCname = await failureOf(createDnsRecord(target(), ZONE, { type: "TXT", name: "lyncdiscover", content: "x" }, FAST));
    assert.deepEqual([besideCname.codes, besideCname.refused], [[81054], false]);
    assert.equal(cloudflare.state.records.length, 2, "nothing was created");
  });

  it("marks an unknown or malformed token as refused without ever showing it", async () => {
    const unknown = "Unknown__0123456789abcdefghijklmnopqrstu";
    const wrong = await failureOf(listDnsRecords(target(unknown), ZONE, {}, FAST));
    assert.deepEqual([wrong.status, wrong.codes, wrong.refused], [403, [10000], true]);
    assert.equal(wrong.message, `Cloudflare refused GET /zones/${ZONE}/dns_records?per_page=100&page=1 with HTTP 403: Authentication error (10000).`);

    const malformed = await failureOf(listDnsRecords(target("not a token"), ZONE, {}, FAST));
    assert.deepEqual([malformed.status, malformed.codes, malformed.refused], [400, [6003, 6111], true]);
    for (const error of [wrong, malformed])
      assert.ok(!JSON.stringify({ ...error, message: error.message }).includes(unknown) && !error.message.includes("not a token"));
    assert.equal(cloudflare.requests.length, 2, "a refusal is not retried");
  });

  it("lets a token without DNS edit read but refuses its writes", async () => {
    cloudflare.seed(ZONE, { type: "TXT", name: "@", content: "MS=ms12345678" });
    assert.equal((await listDnsRecords(target(READ_ONLY_TOKEN), ZONE, {}, FAST)).length, 1);
    const write = await failureOf(createDnsRecord(target(READ_ONLY_TOKEN), ZONE, { type: "TXT", name: "@", content: "v=spf1 -all" }, FAST));
    assert.deepEqual([write.status, write.refused], [403, true]);
    assert.equal(cloudflare.state.records.length, 1);
  });

  it("waits out a 429's Retry-After and tries again", async () => {
    cloudflare.injected.push(rateLimited(1));
    const clock = recordingClock();
    const records = await listDnsRecords(target(), ZONE, {}, { ...FAST, clock });
    assert.deepEqual(records, []);
    assert.deepEqual(clock.waits, [1000], "waited the second Retry-After asked for");
    assert.equal(cloudflare.requests.length, 2);
  });

  it("gives up on a service that stays down after the policy's attempts", async () => {
    for (let i = 0; i < 5; i++) cloudflare.injected.push(cloudflareFailure(503, [{ code: 10013, message: "Service unavailable" }]));
    const down = await failureOf(createDnsRecord(target(), ZONE, { type: "A", name: "www", content: "192.0.2.1" }, FAST));
    assert.deepEqual([down.status, down.refused], [503, false]);
    assert.match(down.message, /^Cloudflare failed POST \/zones\/\w+\/dns_records with HTTP 503 after 3 attempts: Service unavailable \(10013\)\.$/);
    assert.equal(cloudflare.requests.length, 3);
    assert.equal(cloudflare.state.records.length, 0);
  });

  it("names the call when Cloudflare cannot be reached", async () => {
    const closed = await startCloudflareEmulator({ token: TOKEN, zones: {} });
    await closed.close();
    const unreachable = await failureOf(listDnsRecords({ endpoint: closed.url, token: TOKEN }, ZONE, {}, { ...FAST, maxAttempts: 2 }));
    assert.deepEqual([unreachable.status, unreachable.refused], [0, false]);
    assert.match(
      unreachable.message,
      new RegExp(`^Cloudflare could not be reached for GET /zones/${ZONE}/dns_records\\?per_page=100&page=1 after 2 attempts: fetch failed: ECONNREFUSED\\.$`),
    );
  });
});
