import assert from "node:assert/strict";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { isCloudflareAddress } from "../../cli/verify-checks";
import { runMain } from "../support/contract";
import { startDnsmasq, type Dnsmasq } from "../support/dnsmasq";
import { testTls, trustTestCa } from "../../emulators/tls";

let dns: Dnsmasq;
let autodiscover: https.Server;
let autodiscoverUrl = "";
let restoreCas: () => void;

const good = (domain: string) => [
  `--cname=autodiscover.${domain},autodiscover.outlook.com`,
  `--srv-host=_autodiscover._tcp.${domain},autodiscover.outlook.com,443,0,0`,
];

before(async () => {
  // A real DNS server on loopback, authoritative for the test zones (no upstream).
  dns = await startDnsmasq([
    "--local=/example.com/",
    "--local=/example.net/",
    "--host-record=autodiscover.outlook.com,192.0.2.10",
    "--host-record=mail.example.org,192.0.2.20",
    ...good("good.test"),
    ...good("example.com"),
    ...good("example.net"),
    "--cname=autodiscover.nosrv.test,autodiscover.outlook.com",
    "--cname=autodiscover.wrong.test,mail.example.org",
    "--srv-host=_autodiscover._tcp.wrong.test,autodiscover.outlook.com,80,10,5",
    "--host-record=autodiscover.proxied.test,104.16.1.1",
    "--srv-host=_autodiscover._tcp.proxied.test,autodiscover.outlook.com,443,0,0",
  ]);
  restoreCas = trustTestCa();

  const { key, cert } = testTls();
  const mailboxes = new Set(["ann@good.test", "RetainWorker@example.com"]);
  autodiscover = https.createServer({ key, cert }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const mailbox = decodeURIComponent(url.pathname.replace("/autodiscover/autodiscover.json/v1.0/", ""));
    if (url.searchParams.get("Protocol") !== "EWS" || !mailboxes.has(mailbox)) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ ErrorCode: "MailboxNotFound" }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ Protocol: "EWS", Url: "https://outlook.office365.com/EWS/Exchange.asmx" }));
  });
  await new Promise<void>((resolve) => autodiscover.listen(0, "127.0.0.1", resolve));
  autodiscoverUrl = `https://127.0.0.1:${(autodiscover.address() as AddressInfo).port}`;
});
after(() => {
  dns.close();
  autodiscover.close();
  restoreCas();
});

const verify = (args: string[]) => runMain(["verify", "--resolver", dns.address, "--autodiscover-url", autodiscoverUrl, ...args]);

describe("verify against a DNS server and an autodiscover endpoint on loopback", () => {
  it("passes a correctly set-up domain, one line per check", async () => {
    const result = await verify(["--domain", "good.test", "--mailbox", "ann@good.test"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "✓ CNAME autodiscover.good.test → autodiscover.outlook.com\n" +
        "✓ SRV _autodiscover._tcp.good.test → 0 0 443 autodiscover.outlook.com\n" +
        "✓ autodiscover for ann@good.test EWS at https://outlook.office365.com/EWS/Exchange.asmx\n",
    );
  });

  it("checks every domain of a stack, with its worker as the mailbox", async () => {
    const result = await verify(["--stack", "example"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.split("\n").filter((line) => line.startsWith("✓")).length, 5);
    assert.match(result.stdout, /✓ autodiscover for RetainWorker@example\.com/);
  });

  it("fails (exit 4) on each broken record, naming the record and what was found", async () => {
    const result = await verify(["--domain", "nosrv.test", "wrong.test", "proxied.test", "--mailbox", "nobody@good.test"]);
    assert.equal(result.code, 4);
    for (const line of [
      "✓ CNAME autodiscover.nosrv.test → autodiscover.outlook.com",
      "✗ SRV _autodiscover._tcp.nosrv.test is missing",
      "✗ CNAME autodiscover.wrong.test points to mail.example.org, not autodiscover.outlook.com",
      "✗ SRV _autodiscover._tcp.wrong.test is 10 5 80 autodiscover.outlook.com, not 0 0 443 autodiscover.outlook.com",
      "✗ CNAME autodiscover.proxied.test is proxied by Cloudflare (answers 104.16.1.1 instead of a CNAME); make it DNS-only",
      "✓ SRV _autodiscover._tcp.proxied.test → 0 0 443 autodiscover.outlook.com",
      "✗ autodiscover for nobody@good.test answered HTTP 404",
    ]) {
      assert.ok(result.stdout.includes(`${line}\n`), `missing line: ${line}\n${result.stdout}`);
    }
    assert.match(result.stderr, /^retain-m365: 5 of 7 checks failed\n$/);
  });

  it("reports a missing CNAME and prints JSON for machines", async () => {
    const result = await verify(["--domain", "absent.test", "--mailbox", "ann@good.test", "--json"]);
    assert.equal(result.code, 4);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { check: string; ok: boolean; detail: string }[] };
    assert.equal(report.ok, false);
    assert.deepEqual(report.checks[0], { check: "CNAME autodiscover.absent.test", ok: false, detail: "is missing" });
  });

  it("exits 2 without a domain", async () => {
    const result = await runMain(["verify"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /verify needs --stack <name> or --domain <domain…>/);
  });
});

describe("Cloudflare address ranges", () => {
  it("tells Cloudflare's addresses from others", () => {
    assert.deepEqual(["104.16.1.1", "172.67.0.5", "162.159.1.1", "52.97.1.1", "192.0.2.10"].map(isCloudflareAddress), [true, true, true, false, false]);
  });
});
