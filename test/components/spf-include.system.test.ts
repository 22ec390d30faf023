import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { SpfInclude, spfIncludeProvider, type SpfIncludeInputs, type SpfIncludeState } from "../../components/dns/providers/cloudflare/spf-include";
import type { CloudflareEmulator, CloudflareRequest } from "../../emulators/cloudflare";
import { startMockRuntime } from "../../program/mock-runtime";
import { useCloudflareEmulator } from "../support/cloudflare";
import { runSerializedProviders } from "../support/deployer";

const TOKEN = "EditToken_0123456789abcdefghijklmnopqrst";
const OTHER_TOKEN = "OtherTokn_0123456789abcdefghijklmnopqrst";
const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const OURS = "include:spf.protection.outlook.com";

let cloudflare: CloudflareEmulator;
let onRequest: ((request: CloudflareRequest, index: number) => void) | undefined;

useCloudflareEmulator({ token: TOKEN, zones: { [ZONE]: "contoso.com" } }, (emulator) => {
  cloudflare = emulator;
  // Another admin's edits at a chosen moment: run just before the emulator answers a request.
  const push = cloudflare.requests.push.bind(cloudflare.requests);
  cloudflare.requests.push = (...requests: CloudflareRequest[]) => {
    for (const request of requests) onRequest?.(request, cloudflare.requests.length);
    return push(...requests);
  };
});
beforeEach(() => {
  onRequest = undefined;
});

const provider = {
  async create(news: SpfIncludeInputs): Promise<{ id: string; outs: SpfIncludeState }> {
    const { id, outs } = await spfIncludeProvider.create!(news);
    assert.ok(outs);
    return { id, outs };
  },
  async update(id: string, olds: SpfIncludeState, news: SpfIncludeInputs): Promise<SpfIncludeState> {
    const { outs } = await spfIncludeProvider.update!(id, olds, news);
    assert.ok(outs);
    return outs;
  },
  read: spfIncludeProvider.read!,
  diff: spfIncludeProvider.diff!,
  delete: spfIncludeProvider.delete!,
  check: spfIncludeProvider.check!,
};
const inputs = (extra: Partial<SpfIncludeInputs> = {}): SpfIncludeInputs => ({
  zoneId: ZONE,
  name: "contoso.com",
  type: "TXT",
  content: `v=spf1 ${OURS} -all`,
  ttl: 3600,
  proxied: false,
  endpoint: cloudflare.url,
  apiToken: TOKEN,
  ...extra,
});
const txtAtApex = () => cloudflare.state.records.filter((r) => r.type === "TXT" && r.name === "contoso.com").map((r) => r.content);
const seedTxt = (content: string) => cloudflare.seed(ZONE, { type: "TXT", name: "@", content, ttl: 300 });
describe("SpfInclude against the Cloudflare emulator", () => {
  it("no SPF record: creates Microsoft's record, and a delete removes what it created", async () => {
    seedTxt("MS=ms12345678");
    const { id, outs } = await provider.create(inputs());
    assert.equal(id, `${ZONE}/contoso.com`);
    assert.equal(outs.createdRecord, true);
    assert.equal(outs.includedBefore, false);
    assert.deepEqual(txtAtApex(), ['"MS=ms12345678"', `"v=spf1 ${OURS} -all"`]);
    await provider.delete(id, outs);
    assert.deepEqual(txtAtApex(), ['"MS=ms12345678"']);
  });

  it("one SPF record of others: adds ours before its ~all, keeps everything else, and a delete gives the record back as it was", async () => {
    const gateway = seedTxt("v=spf1 ip4:192.0.2.0/24 include:mailgw.example ~all");
    seedTxt("google-site-verification=abc");
    const { id, outs } = await provider.create(inputs());
    assert.equal(outs.recordId, gateway.id);
    assert.deepEqual([outs.createdRecord, outs.includedBefore], [false, false]);
    assert.deepEqual(txtAtApex(), [`"v=spf1 ip4:192.0.2.0/24 include:mailgw.example ${OURS} ~all"`, '"google-site-verification=abc"']);
    const patches = cloudflare.writes();
    assert.deepEqual(
      patches.map((r) => [r.method, r.path]),
      [["PATCH", `/zones/${ZONE}/dns_records/${gateway.id}`]],
    );
    assert.deepEqual(
      patches[0]?.body,
      { type: "TXT", content: `"v=spf1 ip4:192.0.2.0/24 include:mailgw.example ${OURS} ~all"` },
      "only the content is written (beside the type it keeps)",
    );

    await provider.delete(id, outs);
    assert.deepEqual(txtAtApex(), ['"v=spf1 ip4:192.0.2.0/24 include:mailgw.example ~all"', '"google-site-verification=abc"']);
  });

  it("ours there already: writes nothing, and a delete leaves the include it did not add", async () => {
    seedTxt(`v=spf1 include:mailgw.example ${OURS} -all`);
    const { id, outs } = await provider.create(inputs());
    assert.equal(outs.includedBefore, true);
    await provider.delete(id, outs);
    assert.deepEqual(cloudflare.writes(), []);
    assert.deepEqual(txtAtApex(), [`"v=spf1 include:mailgw.example ${OURS} -all"`]);
  });

  it("two SPF records: fails with the conflict sentence and writes nothing", async () => {
    seedTxt("v=spf1 mx -all");
    seedTxt("v=spf1 include:mailgw.example ~all");
    await assert.rejects(
      provider.create(inputs()),
      /^Error: contoso\.com has 2 SPF TXT records \(v=spf1\), which makes SPF fail .* merge them into one record by hand/,
    );
    assert.deepEqual(cloudflare.writes(), []);
  });

  it("a record it created that others have since added to: a delete takes out ours only, the record stays", async () => {
    const { id, outs } = await provider.create(inputs());
    const record = cloudflare.state.records.find((r) => r.id === outs.recordId);
    assert.ok(record);
    record.content = `"v=spf1 ${OURS} include:newsletter.example -all"`;
    await provider.delete(id, outs);
    assert.deepEqual(txtAtApex(), ['"v=spf1 include:newsletter.example -all"']);
  });

  it("an edit by someone else between the read and the write is noticed: it starts over and keeps their change", async () => {
    const gateway = seedTxt("v=spf1 include:mailgw.example ~all");
    let edited = false;
    onRequest = (request) => {
      // The second read, just before the write: another admin adds a sender.
      if (!edited && request.method === "GET" && cloudflare.requests.filter((r) => r.method === "GET").length === 1) {
        edited = true;
        gateway.content = '"v=spf1 include:mailgw.example include:newsletter.example ~all"';
      }
    };
    const { outs } = await provider.create(inputs());
    assert.equal(outs.includedBefore, false);
    assert.deepEqual(txtAtApex(), [`"v=spf1 include:mailgw.example include:newsletter.example ${OURS} ~all"`]);
    assert.equal(cloudflare.writes().length, 1);
    assert.ok(cloudflare.requests.filter((r) => r.method === "GET").length >= 4, "read twice, changed, read twice again");
  });

  it("a record that changes on every attempt: gives up without writing, saying someone else is editing it", async () => {
    const gateway = seedTxt("v=spf1 include:mailgw.example ~all");
    let n = 0;
    onRequest = (request) => {
      if (request.method === "GET") gateway.content = `"v=spf1 include:mailgw.example ip4:192.0.2.${++n} ~all"`;
    };
    await assert.rejects(provider.create(inputs()), /^Error: the SPF record at contoso\.com changed on every one of 5 attempts/);
    assert.deepEqual(cloudflare.writes(), []);
  });

  it("a refresh notices an include someone took out, and the next deployment puts it back", async () => {
    seedTxt("v=spf1 include:mailgw.example ~all");
    const { id, outs } = await provider.create(inputs());
    const record = cloudflare.state.records.find((r) => r.id === outs.recordId);
    assert.ok(record);
    record.content = '"v=spf1 include:mailgw.example ~all"';
    const refreshed = (await provider.read(id, outs)).props as SpfIncludeState;
    assert.equal(refreshed.present, false);
    assert.equal((await provider.diff(id, refreshed, inputs())).changes, true);
    const updated = await provider.update(id, refreshed, inputs());
    assert.deepEqual(
      [updated.present, updated.includedBefore, updated.createdRecord],
      [true, false, false],
      "what was there before is kept from the first deployment",
    );
    assert.deepEqual(txtAtApex(), [`"v=spf1 include:mailgw.example ${OURS} ~all"`]);
  });

  it("a new token alone is no change; the token comes from CLOUDFLARE_API_TOKEN when not given, and never appears in a message", async () => {
    const { id, outs } = await provider.create(inputs());
    assert.equal((await provider.diff(id, outs, inputs({ apiToken: OTHER_TOKEN }))).changes, false);
    assert.equal((await provider.diff(id, outs, inputs({ content: `v=spf1 ${OURS} ~all` }))).changes, true);
    assert.deepEqual((await provider.diff(id, outs, inputs({ name: "mail.contoso.com" }))).replaces, ["name"]);

    const saved = process.env.CLOUDFLARE_API_TOKEN;
    try {
      process.env.CLOUDFLARE_API_TOKEN = TOKEN;
      await provider.delete(id, { ...outs, apiToken: OTHER_TOKEN });
      assert.deepEqual(txtAtApex(), [], "a delete prefers CLOUDFLARE_API_TOKEN: the state's token may have been rotated");
      const { outs: again } = await provider.create(inputs({ apiToken: undefined }));
      assert.equal(again.createdRecord, true);
      process.env.CLOUDFLARE_API_TOKEN = OTHER_TOKEN;
      await assert.rejects(provider.create(inputs({ apiToken: undefined, name: "other.contoso.com" })), (error: Error) => {
        assert.match(error.message, /^Cloudflare refused GET/);
        assert.ok(!error.message.includes(OTHER_TOKEN));
        return true;
      });
      delete process.env.CLOUDFLARE_API_TOKEN;
      await assert.rejects(provider.create(inputs({ apiToken: undefined })), /^Error: no Cloudflare API token/);
    } finally {
      if (saved === undefined) delete process.env.CLOUDFLARE_API_TOKEN;
      else process.env.CLOUDFLARE_API_TOKEN = saved;
    }
  });

  it("refuses a record to create that is not an SPF record with Microsoft's include", async () => {
    const { failures } = await provider.check(inputs(), inputs({ content: "v=spf1 mx -all", endpoint: "http://127.0.0.1" }));
    assert.deepEqual(failures, [
      { property: "endpoint", reason: "must be an https:// URL" },
      { property: "content", reason: `must include ${OURS}` },
    ]);
    assert.deepEqual(
      (await provider.check(inputs(), inputs({ content: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }))).failures,
      [],
      "a value a preview does not know yet passes",
    );
  });
});

describe("SpfInclude provider: serialization", () => {
  it("serializes under the mock runtime without a copy of Pulumi's SDK, and works loaded on its own", async (t) => {
    const runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false });
    t.after(() => runtime.stop());
    new SpfInclude("spf", { zoneId: ZONE, name: "contoso.com", content: `v=spf1 ${OURS} -all`, ttl: 3600, endpoint: cloudflare.url, apiToken: TOKEN });
    await runtime.settle();
    const text = runtime.resources.find((r) => r.name === "spf")?.inputs.__provider;
    assert.equal(typeof text, "string");
    // Every SPF resource's state holds this text: Pulumi's SDK is in node_modules, not copied into it.
    assert.doesNotMatch(text as string, /@pulumi\/pulumi/);
    const checked = await runSerializedProviders(
      { spf: text as string },
      `const spf = load("spf");
       const unknown = await spf.check({}, ${JSON.stringify({ ...inputs(), content: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" })});
       const created = await spf.create(${JSON.stringify(inputs())});
       return [unknown.failures, created.outs.content];`,
    );
    assert.deepEqual(checked, [[], `v=spf1 ${OURS} -all`]);
    assert.deepEqual(txtAtApex(), [`"v=spf1 ${OURS} -all"`]);
  });
});
