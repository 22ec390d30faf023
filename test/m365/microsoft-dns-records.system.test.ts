import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { TokenCredential } from "@azure/identity";
import { ExitCode, UserFacingError } from "../../core/errors";
import { countingListener } from "../support/listener";
import { createGraphClient, getAllPages } from "../../m365/graph-client";
import { parseServiceConfigurationRecords } from "../../m365/microsoft-dns-records/records";
import { GraphServiceConfigurationRecordSource } from "../../m365/microsoft-dns-records/from-graph";
import { graphError, pagedCollection, startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";
import { withRecordedWaits } from "../support/retry-clock";

const TOKEN = "test-token-for-loopback-graph";
const records = (JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "service-configuration-records.json"), "utf8")) as { value: unknown[] }).value;
const staticToken = (token: string): TokenCredential => ({
  getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
});

let graph: GraphEmulator;
let restoreCas: () => void;
before(async () => {
  restoreCas = trustTestCa();
  graph = await startGraphEmulator({
    token: TOKEN,
    routes: [
      (request, emulator) => {
        const match = /^\/domains\/([^/]+)\/serviceConfigurationRecords$/.exec(request.path);
        if (!match || decodeURIComponent(match[1]!) !== "example.com") return undefined;
        return pagedCollection(emulator, request.path, request.query, records, 4);
      },
    ],
  });
});
after(async () => {
  await graph.close();
  restoreCas();
});

const source = (token = TOKEN) => new GraphServiceConfigurationRecordSource(createGraphClient({ credential: staticToken(token), endpoint: graph.url }));

describe("reading Microsoft's DNS records from Graph (loopback HTTPS)", () => {
  it("follows @odata.nextLink across pages and returns every record", async () => {
    const before = graph.requests.length;
    const result = await source().recordsFor("example.com");
    assert.equal(graph.requests.length - before, 3, "9 records in pages of 4");
    assert.equal(result.length, 9);
    const mx = result.find((r) => r.recordType === "Mx");
    assert.deepEqual(mx && { target: mx.mailExchange, preference: mx.preference }, { target: "example-com.r-v1.mx.microsoft", preference: 0 });
    const srv = result.filter((r) => r.recordType === "Srv").map((r) => `${r.service}.${r.protocol} ${String(r.port)}`);
    assert.deepEqual(srv, ["_sip._tls 443", "_sipfederationtls._tcp 5061"]);
    assert.ok(
      result.every((r) => r.isOptional === false),
      "Graph's isOptional is kept on every record",
    );
  });

  it("reads a domain's records once for the life of the source (the deploy's declarations and discovery share one)", async () => {
    const shared = source();
    const before = graph.requests.length;
    const [first, second] = await Promise.all([shared.recordsFor("example.com"), shared.recordsFor("example.com")]);
    assert.deepEqual(second, first);
    await shared.recordsFor("example.com");
    assert.equal(graph.requests.length - before, 3, "one read of 3 pages, not one per caller");
  });

  it("keeps Graph's isOptional (absent stays absent), and refuses one that is not a boolean", () => {
    const mx = { recordType: "Mx", label: "example.com", ttl: 3600, mailExchange: "x.mx.microsoft", preference: 0 };
    assert.deepEqual(
      parseServiceConfigurationRecords("example.com", [{ ...mx, isOptional: true }, mx]).map((r) => r.isOptional),
      [true, undefined],
    );
    assert.throws(
      () => parseServiceConfigurationRecords("example.com", [{ ...mx, isOptional: "yes" }]),
      /malformed Mx record for example\.com \(item 0, field isOptional/,
    );
  });

  it("follows @odata.nextLink only to the endpoint's own origin: a link elsewhere is exit 4, and nothing connects there", async () => {
    const elsewhere = await countingListener();
    try {
      const { port } = elsewhere;
      graph.injected.push({
        status: 200,
        body: { value: [], "@odata.nextLink": `https://127.0.0.1:${port}/v1.0/domains/example.com/serviceConfigurationRecords?$skiptoken=2` },
      });
      const client = createGraphClient({ credential: staticToken(TOKEN), endpoint: graph.url });
      const error = await getAllPages(client, "/domains/example.com/serviceConfigurationRecords", "reading records").then(
        () => assert.fail("expected a refusal"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof UserFacingError, String(error));
      assert.equal(error.exitCode, ExitCode.remoteService);
      assert.match(
        error.message,
        new RegExp(`^reading records: Graph sent a link to https://127\\.0\\.0\\.1:${port}, not ${graph.url.replace(/\./g, "\\.")}: it was not followed`),
      );
      assert.equal(elsewhere.connections(), 0, "no connection to the link's host");
    } finally {
      await elsewhere.close();
    }
  });

  it("retries a throttled request after Retry-After", async () => {
    graph.injected.push({ ...graphError(429, "TooManyRequests", "Too many requests."), headers: { "retry-after": "1" } });
    const { value: result, waits } = await withRecordedWaits(() => source().recordsFor("example.com"));
    assert.equal(result.length, 9);
    // Tried again at once (no backoff of its own): the pacer alone waits out Retry-After: 1.
    assert.deepEqual(waits, [0, 1000]);
  });

  it("turns a rejected token into an authentication failure (exit 3) without echoing the token", async () => {
    const error = await source("wrong-token-value")
      .recordsFor("example.com")
      .then(
        () => assert.fail("expected a failure"),
        (e: unknown) => e,
      );
    assert.ok(error instanceof UserFacingError);
    assert.equal(error.exitCode, ExitCode.auth);
    assert.match(error.message, /reading Microsoft's DNS records for example\.com from Graph was refused/);
    assert.ok(!error.message.includes("wrong-token-value"));
  });

  it("names a domain the tenant does not have (exit 2)", async () => {
    const error = await source()
      .recordsFor("example.org")
      .then(
        () => assert.fail("expected a failure"),
        (e: unknown) => e,
      );
    assert.ok(error instanceof UserFacingError);
    assert.equal(error.exitCode, ExitCode.invalidInput);
    assert.match(error.message, /example\.org.*not found/);
  });

  it("refuses a plain-http Graph endpoint, which would not carry the token", () => {
    assert.throws(() => createGraphClient({ credential: staticToken(TOKEN), endpoint: "http://127.0.0.1:1" }), /must be an https:\/\/ URL/);
  });
});
