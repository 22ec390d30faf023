import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CLOUDFLARE_API_BASE, CLOUDS } from "../../m365/clouds";
import { authorityFor, credentialFromEnvironment } from "../../m365/credentials";
import { checkedEndpoint, endpointProblem, type EndpointService } from "../../m365/endpoints";
import { ExitCode, UserFacingError } from "../../core/errors";
import { REPO_ROOT } from "../support/cli";
import { runMain } from "../support/contract";
import { setEnvironment } from "../support/environment";
import { countingListener } from "../support/listener";
import { directoryRoutes } from "../../emulators/directory";
import { startGraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";
import { oneUserTenant } from "../support/one-user-tenant";

describe("the endpoint rule (m365/endpoints.ts)", () => {
  const accepted: [EndpointService, string][] = [
    ...Object.values(CLOUDS).flatMap((cloud): [EndpointService, string][] => [
      ["graph", cloud.graph],
      ["exchange", cloud.exchange],
      ["compliance", cloud.compliance],
      ["login", cloud.login],
      ...cloud.autodiscover.map((url): [EndpointService, string] => ["autodiscover", url]),
    ]),
    ["cloudflare", CLOUDFLARE_API_BASE],
    ["graph", "https://GRAPH.microsoft.com./"],
    ["login", "https://127.0.0.1:8443"],
    ["login", "https://127.1.2.3"],
    ["graph", "https://[::1]:9443/"],
    ["exchange", "https://localhost:9443"],
    ["compliance", "https://nam12b.ps.compliance.protection.outlook.com"],
    ["compliance", "https://127.0.0.1:9443"],
    ["cloudflare", "https://localhost/client/v4"],
  ];
  for (const [service, url] of accepted) {
    it(`accepts ${url} for ${service}`, () => assert.equal(endpointProblem(url, service), undefined));
  }

  const refused: [EndpointService, string, RegExp][] = [
    ["login", "http://127.0.0.1:8443", /must be an https:\/\/ URL: credentials and tokens never travel in clear/],
    ["cloudflare", "http://api.cloudflare.com/client/v4", /must be an https:\/\/ URL/],
    [
      "login",
      "https://login.example.test",
      /must be an Entra ID login host \(login\.microsoftonline\.com, login\.microsoftonline\.us, login\.chinacloudapi\.cn\) or a loopback address/,
    ],
    ["graph", "https://graph.microsoft.com.attacker.example", /must be a Microsoft Graph host/],
    ["graph", "https://login.microsoftonline.com", /must be a Microsoft Graph host/],
    ["login", "https://graph.microsoft.com", /must be an Entra ID login host/],
    ["exchange", "https://0.0.0.0:443", /must be an Exchange Online host/],
    ["exchange", "https://10.0.0.1", /must be an Exchange Online host/],
    ["compliance", "https://outlook.office365.com", /must be a Security & Compliance host/],
    ["compliance", "https://a.b.ps.compliance.protection.outlook.com", /must be a Security & Compliance host/],
    ["cloudflare", "https://cloudflare.com/client/v4", /must be Cloudflare's API host \(api\.cloudflare\.com\)/],
    ["autodiscover", "https://autodiscover.contoso.com", /must be an Exchange Online autodiscover host/],
    ["login", "https://user:pass@login.microsoftonline.com", /must not carry a user name or password/],
    ["graph", "file:///etc/passwd", /must be an https:\/\/ URL/],
    ["graph", "graph.microsoft.com", /must be an https:\/\/ URL/],
    ["graph", "https://graph.microsoft.com/\nx", /without spaces or control characters/],
  ];
  for (const [service, url, reason] of refused) {
    it(`refuses ${JSON.stringify(url)} for ${service}`, () => assert.match(endpointProblem(url, service) ?? "accepted", reason));
  }

  it("refuses with exit 2 naming the flag or variable it came from", () => {
    assert.throws(
      () => checkedEndpoint("http://evil.example", "login", "--authority-host"),
      (error: unknown) =>
        error instanceof UserFacingError && error.exitCode === ExitCode.invalidInput && /^--authority-host must be an https:\/\/ URL/.test(error.message),
    );
  });

  it("holds AZURE_AUTHORITY_HOST to it wherever a credential signs in; a flag wins over the variable", () => {
    const restore = setEnvironment({
      AZURE_AUTHORITY_HOST: "https://attacker.example",
      AZURE_CLIENT_ID: "00000000-0000-4000-8000-0000000000cc",
      AZURE_CLIENT_SECRET: "x",
    });
    try {
      assert.throws(() => authorityFor("global"), /: AZURE_AUTHORITY_HOST must be an Entra ID login host/);
      assert.throws(() => credentialFromEnvironment("00000000-0000-4000-8000-0000000000aa"), /: AZURE_AUTHORITY_HOST must be an Entra ID login host/);
      assert.deepEqual(authorityFor("global", CLOUDS.global.login), { authorityHost: CLOUDS.global.login, disableInstanceDiscovery: true });
      assert.throws(() => authorityFor("global", "https://attacker.example"), /: --authority-host must be an Entra ID login host/);
    } finally {
      restore();
    }
  });
});

describe("every endpoint flag and AZURE_AUTHORITY_HOST: refused with exit 2, before any connection", () => {
  const TENANT = "00000000-0000-4000-8000-0000000000aa";
  const CLIENT = "00000000-0000-4000-8000-0000000000bb";
  const out = mkdtempSync(path.join(tmpdir(), "retain-endpoints-"));
  const stackFile = path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml");
  let listener: Awaited<ReturnType<typeof countingListener>>;
  let restore: () => void;
  before(async () => {
    listener = await countingListener();
    restore = setEnvironment({
      RETAIN_SYNC_CLIENT_SECRET: "s3cret-never-sent",
      AZURE_CLIENT_ID: CLIENT,
      AZURE_CLIENT_SECRET: "s3cret-never-sent",
      CLOUDFLARE_API_TOKEN: "cf-token-never-sent",
      AZURE_AUTHORITY_HOST: undefined,
    });
  });
  after(async () => {
    restore();
    await listener.close();
  });

  it("the listener counts a connection to 0.0.0.0 and to plain http (the addresses below would reach it)", async () => {
    for (const host of ["0.0.0.0", "127.0.0.1"]) {
      const before = listener.connections();
      await new Promise<void>((resolve, reject) =>
        net
          .connect(listener.port, host)
          .once("connect", function (this: net.Socket) {
            this.destroy();
            resolve();
          })
          .once("error", reject),
      );
      for (let i = 0; i < 50 && listener.connections() === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(listener.connections(), before + 1, host);
    }
  });

  // Every other endpoint of each command points at the listener too, as an accepted loopback address:
  // a command that went on past the refused one would connect to it.
  const here = () => `https://127.0.0.1:${listener.port}`;
  const plainHttp = () => `http://127.0.0.1:${listener.port}`;
  const notLoopback = () => `https://0.0.0.0:${listener.port}`;
  const cases: { name: string; flag: string; args: (bad: string) => string[]; env?: (bad: string) => Record<string, string> }[] = [
    {
      name: "sync --graph-endpoint",
      flag: "--graph-endpoint",
      args: (bad) => ["sync", "--tenant-id", TENANT, "--client-id", CLIENT, "--out", out, "--authority-host", here(), "--graph-endpoint", bad],
    },
    {
      name: "sync --authority-host",
      flag: "--authority-host",
      args: (bad) => ["sync", "--tenant-id", TENANT, "--client-id", CLIENT, "--out", out, "--graph-endpoint", here(), "--authority-host", bad],
    },
    ...(["--cloudflare-endpoint", "--exchange-endpoint", "--compliance-endpoint", "--graph-endpoint", "--authority-host"] as const).map((flag) => ({
      name: `adopt ${flag}`,
      flag,
      args: (bad: string) => [
        "adopt",
        "--config-file",
        stackFile,
        ...["--cloudflare-endpoint", "--exchange-endpoint", "--compliance-endpoint", "--graph-endpoint", "--authority-host"].flatMap((f) => [
          f,
          f === flag ? bad : here(),
        ]),
      ],
    })),
    {
      name: "adopt with AZURE_AUTHORITY_HOST",
      flag: "AZURE_AUTHORITY_HOST",
      args: () => [
        "adopt",
        "--config-file",
        stackFile,
        "--cloudflare-endpoint",
        here(),
        "--exchange-endpoint",
        here(),
        "--compliance-endpoint",
        here(),
        "--graph-endpoint",
        here(),
      ],
      env: (bad) => ({ AZURE_AUTHORITY_HOST: bad }),
    },
    ...(["--exchange-endpoint", "--compliance-endpoint", "--graph-endpoint", "--authority-host"] as const).map((flag) => ({
      name: `readiness ${flag}`,
      flag,
      args: (bad: string) => [
        "readiness",
        "--config-file",
        stackFile,
        "--app-id",
        CLIENT,
        ...["--exchange-endpoint", "--compliance-endpoint", "--graph-endpoint", "--authority-host"].flatMap((f) => [f, f === flag ? bad : here()]),
      ],
    })),
    {
      name: "readiness with AZURE_AUTHORITY_HOST",
      flag: "AZURE_AUTHORITY_HOST",
      args: () => [
        "readiness",
        "--config-file",
        stackFile,
        "--app-id",
        CLIENT,
        "--exchange-endpoint",
        here(),
        "--compliance-endpoint",
        here(),
        "--graph-endpoint",
        here(),
      ],
      env: (bad) => ({ AZURE_AUTHORITY_HOST: bad }),
    },
    {
      name: "verify --autodiscover-url",
      flag: "--autodiscover-url",
      args: (bad) => ["verify", "--domain", "example.com", "--resolver", `127.0.0.1:${listener.port}`, "--autodiscover-url", bad],
    },
    {
      name: "verify --access --ews-endpoint",
      flag: "--ews-endpoint",
      args: (bad) => [
        "verify",
        "--access",
        "--tenant-id",
        TENANT,
        "--client-id",
        CLIENT,
        "--mailbox",
        "worker@example.com",
        "--authority-host",
        here(),
        "--ews-endpoint",
        bad,
      ],
    },
    {
      name: "verify --access --authority-host",
      flag: "--authority-host",
      args: (bad) => [
        "verify",
        "--access",
        "--tenant-id",
        TENANT,
        "--client-id",
        CLIENT,
        "--mailbox",
        "worker@example.com",
        "--ews-endpoint",
        here(),
        "--authority-host",
        bad,
      ],
    },
  ];
  for (const { name, flag, args, env } of cases) {
    for (const [kind, bad] of [
      ["plain http", plainHttp],
      ["not loopback, not the cloud's", notLoopback],
    ] as const) {
      it(`${name}: ${kind}`, async () => {
        const undo = setEnvironment(env?.(bad()) ?? {});
        const before = listener.connections();
        try {
          const result = await runMain(args(bad()));
          assert.equal(result.code, ExitCode.invalidInput, result.stderr);
          assert.match(result.stderr, new RegExp(`^retain-m365: ${flag} must be (an https:// URL|[^\\n]* host \\()`, "m"));
          assert.doesNotMatch(result.stderr, /s3cret|cf-token/);
        } finally {
          undo();
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(listener.connections(), before, "no connection was attempted");
      });
    }
  }
});

describe("AZURE_AUTHORITY_HOST: a sync by hand follows it (endpoints.system.test.ts: the nightly job names its own host)", () => {
  const ids = ["--tenant-id", "00000000-0000-4000-8000-0000000000aa", "--client-id", "00000000-0000-4000-8000-0000000000bb"];

  it("a sync started by hand without --authority-host signs in where the variable says (a loopback emulator here)", async () => {
    // A directory to read, so that the sync ends with its reads (no read left going when it returns).
    const tenant = oneUserTenant();
    const emulator = await startGraphEmulator({ token: "t", clients: { [ids[3]!]: "s3cret" }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
    const restoreCas = trustTestCa();
    try {
      const out = mkdtempSync(path.join(tmpdir(), "retain-endpoints-by-hand-"));
      await runMain(["sync", ...ids, "--out", out, "--graph-endpoint", emulator.url], {
        env: { RETAIN_SYNC_CLIENT_SECRET: "s3cret", AZURE_AUTHORITY_HOST: emulator.url },
      });
      assert.equal(emulator.issuedTokens.length, 1, "the variable's host issued Retain's app its token");
    } finally {
      restoreCas();
      await emulator.close();
    }
  });
});
