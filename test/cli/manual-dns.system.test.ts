import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import type { ManualDnsRecord } from "../../components/dns/providers/manual";
import { testTls, trustTestCa } from "../../emulators/tls";
import { runMain } from "../support/contract";
import { manualRawValues } from "../support/configs";
import { startDnsmasq, type Dnsmasq } from "../support/dnsmasq";

// `plan` and `verify --stack` for domains whose records the admin keeps by hand at their own DNS
// host (`provider: manual`): no Cloudflare step, the records listed, and each one checked through
// a real DNS server on loopback (dnsmasq) against the stack output manualDnsRecords.

const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-manual-"));
const SPF_MERGED = "v=spf1 include:_spf.gateway.example include:spf.protection.outlook.com ~all";

/** The stack output manualDnsRecords as a deploy of a domain with Microsoft's (Teams-only) records gives it. */
function deployed(domain: string, microsoft365 = true): ManualDnsRecord[] {
  const autodiscover: ManualDnsRecord[] = [
    { domain, type: "CNAME", name: `autodiscover.${domain}`, content: "autodiscover.outlook.com", ttl: 3600 },
    { domain, type: "SRV", name: `_autodiscover._tcp.${domain}`, target: "autodiscover.outlook.com", priority: 0, weight: 0, port: 443, ttl: 3600 },
  ];
  if (!microsoft365) return autodiscover;
  return [
    ...autodiscover,
    { domain, type: "MX", name: domain, content: `${domain.replace(".", "-")}.r-v1.mx.microsoft`, priority: 0, ttl: 3600 },
    { domain, type: "TXT", name: domain, content: SPF_MERGED, ttl: 3600, note: "the domain's one SPF record, merged" },
    { domain, type: "SRV", name: `_sipfederationtls._tcp.${domain}`, target: "sipfed.online.lync.com", priority: 100, weight: 1, port: 5061, ttl: 3600 },
    { domain, type: "CNAME", name: `enterpriseregistration.${domain}`, content: "enterpriseregistration.windows.net", ttl: 3600 },
    { domain, type: "CNAME", name: `enterpriseenrollment.${domain}`, content: "enterpriseenrollment.manage.microsoft.com", ttl: 3600 },
  ];
}

/** A `pulumi` on PATH that answers `stack output --json` with these outputs, or fails as an undeployed stack does. */
function pulumiAnswering(outputs: Record<string, unknown> | undefined): NodeJS.ProcessEnv {
  const bin = mkdtempSync(path.join(tmpdir(), "retain-pulumi-"));
  writeFileSync(path.join(bin, "outputs.json"), JSON.stringify(outputs ?? {}));
  const script = outputs ? `cat '${path.join(bin, "outputs.json")}'` : "echo 'error: no stack named manual found' >&2; exit 255";
  writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH}` };
}

const good = (domain: string) => [
  `--cname=autodiscover.${domain},autodiscover.outlook.com`,
  `--srv-host=_autodiscover._tcp.${domain},autodiscover.outlook.com,443,0,0`,
];
let dns: Dnsmasq;
let autodiscover: https.Server;
let autodiscoverUrl = "";
let restoreCas: () => void;

before(async () => {
  for (const [stack, values] of [
    ["manual", manualRawValues()],
    [
      "manualbroken",
      {
        ...manualRawValues(),
        "retain-m365:domains": [{ name: "example.org", provider: "manual", microsoft365Records: true }],
        "retain-m365:adminUser": { userPrincipalName: "retain-sync@example.org" },
        "retain-m365:workerUser": { userPrincipalName: "RetainWorker@example.org", usageLocation: "US", licenseSku: "EXCHANGESTANDARD" },
      },
    ],
    [
      "manualzone",
      {
        ...manualRawValues(),
        "retain-m365:domains": [{ name: "example.com", provider: "manual", zoneId: "0123456789abcdef0123456789abcdef" }, { name: "example.net" }],
      },
    ],
  ] as const) {
    writeFileSync(path.join(stacksDir, `Pulumi.${stack}.yaml`), stringify({ config: values }));
  }
  dns = await startDnsmasq([
    "--local=/example.com/",
    "--local=/example.net/",
    "--local=/example.org/",
    "--host-record=autodiscover.outlook.com,192.0.2.10",
    "--host-record=example-com.r-v1.mx.microsoft,192.0.2.11",
    "--host-record=mx.gateway.example,192.0.2.12",
    "--host-record=enterpriseregistration.windows.net,192.0.2.13",
    "--host-record=enterpriseenrollment.manage.microsoft.com,192.0.2.14",
    "--host-record=sipfed.online.lync.com,192.0.2.15",
    // Created by hand as the stack lists them.
    ...good("example.com"),
    ...good("example.net"),
    "--mx-host=example.com,example-com.r-v1.mx.microsoft,0",
    `--txt-record=example.com,${SPF_MERGED}`,
    "--txt-record=example.com,MS=ms12345678",
    "--srv-host=_sipfederationtls._tcp.example.com,sipfed.online.lync.com,5061,100,1",
    "--cname=enterpriseregistration.example.com,enterpriseregistration.windows.net",
    "--cname=enterpriseenrollment.example.com,enterpriseenrollment.manage.microsoft.com",
    // Not yet, or wrongly.
    ...good("example.org"),
    "--mx-host=example.org,mx.gateway.example,10",
    "--txt-record=example.org,v=spf1 include:_spf.gateway.example ~all",
    "--srv-host=_sipfederationtls._tcp.example.org,sipfed.online.lync.com,443,100,1",
    "--cname=enterpriseenrollment.example.org,mx.gateway.example",
  ]);
  restoreCas = trustTestCa();
  const { key, cert } = testTls();
  autodiscover = https.createServer(
    { key, cert },
    (_req, res) =>
      void res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ Protocol: "EWS", Url: "https://outlook.office365.com/EWS/Exchange.asmx" })),
  );
  await new Promise<void>((resolve) => autodiscover.listen(0, "127.0.0.1", resolve));
  autodiscoverUrl = `https://127.0.0.1:${(autodiscover.address() as AddressInfo).port}`;
});
after(() => {
  dns.close();
  autodiscover.close();
  restoreCas();
});

interface PlanJson {
  stack: string;
  steps: { newState: { type: string } }[];
  hooks: unknown[];
  changeSummary: { create: number };
  manualDnsRecords: ManualDnsRecord[];
}

describe("plan: a manual domain", () => {
  it("has no Cloudflare step, and lists the records to create by hand (--json: manualDnsRecords beside the plan's keys)", async () => {
    const result = await runMain(["plan", "--stack", "manual", "--stacks-dir", stacksDir, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "", "no warning about a Cloudflare token");
    const plan = JSON.parse(result.stdout) as PlanJson;
    for (const key of ["stack", "steps", "hooks", "changeSummary"]) assert.ok(key in plan, key);
    const types = plan.steps.map((step) => step.newState.type);
    assert.deepEqual(
      types.filter((type) => type.startsWith("cloudflare:") || type.endsWith(":SpfInclude")),
      [],
    );
    assert.equal(types.filter((type) => type === "retain-m365:dns:ManualRecord").length, 9);
    const listed = plan.manualDnsRecords;
    assert.deepEqual(listed.slice(0, 2), deployed("example.com").slice(0, 2));
    assert.deepEqual(
      listed[2],
      { domain: "example.com", type: "MX", name: "example.com", content: "[unknown]", priority: "[unknown]", ttl: 3600 },
      "Microsoft's values: only Graph knows them",
    );
    assert.match(listed[3]?.note ?? "", /add include:spf\.protection\.outlook\.com to it before its final term instead of creating a second/);
    assert.deepEqual(listed.slice(7), deployed("example.net", false));
  });

  it("the Markdown plan has a Manual DNS records section", async () => {
    const result = await runMain(["plan", "--stack", "manual", "--stacks-dir", stacksDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Manual DNS records: nothing is written to these domains' DNS; create each record by hand/m);
    assert.match(result.stdout, /^\| example\.net \| SRV \| _autodiscover\._tcp\.example\.net \| 0 0 443 autodiscover\.outlook\.com \| 3600 \| {2}\|$/m);
    assert.match(result.stdout, /^\| create \| retain-m365:dns:ManualRecord \| manual-dns-example\.com-m365-mx \| created by hand/m);
  });

  it("a manual domain with a zone id, or a Cloudflare one without: exit 2 naming the key", async () => {
    const result = await runMain(["plan", "--stack", "manualzone", "--stacks-dir", stacksDir]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /retain-m365:domains\[0\]\.zoneId: applies only with provider cloudflare, not manual/);
    assert.match(result.stderr, /retain-m365:domains\[1\]\.zoneId: is required with provider cloudflare \(the default\)/);
  });
});

const verify = (stack: string, env: NodeJS.ProcessEnv, ...extra: string[]) =>
  runMain(["verify", "--stack", stack, "--stacks-dir", stacksDir, "--resolver", dns.address, "--autodiscover-url", autodiscoverUrl, ...extra], { env });

describe("verify --stack: every record of a manual domain, through DNS", () => {
  it("passes when each record the stack output lists is there (the SPF record merged with the one there)", async () => {
    const result = await verify("manual", pulumiAnswering({ manualDnsRecords: [...deployed("example.com"), ...deployed("example.net", false)] }));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(
      result.stdout,
      [
        "✓ CNAME autodiscover.example.com → autodiscover.outlook.com",
        "✓ SRV _autodiscover._tcp.example.com → 0 0 443 autodiscover.outlook.com",
        "✓ MX example.com → 0 example-com.r-v1.mx.microsoft",
        "✓ TXT example.com SPF record includes include:spf.protection.outlook.com",
        "✓ SRV _sipfederationtls._tcp.example.com → 100 1 5061 sipfed.online.lync.com",
        "✓ CNAME enterpriseregistration.example.com → enterpriseregistration.windows.net",
        "✓ CNAME enterpriseenrollment.example.com → enterpriseenrollment.manage.microsoft.com",
        "✓ CNAME autodiscover.example.net → autodiscover.outlook.com",
        "✓ SRV _autodiscover._tcp.example.net → 0 0 443 autodiscover.outlook.com",
        `✓ autodiscover for RetainWorker@example.com EWS at https://outlook.office365.com/EWS/Exchange.asmx`,
        "",
      ].join("\n"),
    );
  });

  it("fails (exit 4) on each record missing or different, naming what was found", async () => {
    const result = await verify("manualbroken", pulumiAnswering({ manualDnsRecords: deployed("example.org") }), "--json");
    assert.equal(result.code, 4);
    const { checks } = JSON.parse(result.stdout) as { checks: { check: string; ok: boolean; detail: string }[] };
    assert.deepEqual(
      checks.filter((c) => !c.ok).map((c) => `${c.check} ${c.detail}`),
      [
        "MX example.org is 10 mx.gateway.example, not 0 example-org.r-v1.mx.microsoft",
        'TXT example.org SPF record "v=spf1 include:_spf.gateway.example ~all" lacks include:spf.protection.outlook.com',
        "SRV _sipfederationtls._tcp.example.org is 100 1 443 sipfed.online.lync.com, not 100 1 5061 sipfed.online.lync.com",
        "CNAME enterpriseregistration.example.org is missing",
        "CNAME enterpriseenrollment.example.org points to mx.gateway.example, not enterpriseenrollment.manage.microsoft.com",
      ],
    );
  });

  it("before a deploy (no stack output): says so, and checks what the stack file alone defines, the SPF record", async () => {
    const result = await verify("manualbroken", pulumiAnswering(undefined));
    assert.equal(result.code, 4);
    assert.match(
      result.stderr,
      /^warning: cannot read the stack output manualDnsRecords of manualbroken \(error: no stack named manual found\): for example\.org only the records the stack file defines are checked$/m,
    );
    assert.match(result.stdout, /^✗ TXT example\.org SPF record "v=spf1 include:_spf\.gateway\.example ~all" lacks include:spf\.protection\.outlook\.com$/m);
    assert.doesNotMatch(result.stdout, /MX example\.org/);
  });
});
