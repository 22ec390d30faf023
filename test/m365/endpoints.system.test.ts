import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CLOUDS } from "../../m365/clouds";
import { ExitCode } from "../../core/errors";
import { REPO_ROOT, runCliAsync } from "../support/cli";
import { runMain } from "../support/contract";
import { setEnvironment } from "../support/environment";
import { countingListener } from "../support/listener";
import { directoryRoutes } from "../../emulators/directory";
import { startGraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";
import { oneUserTenant } from "../support/one-user-tenant";

// Endpoints against servers on loopback (the rule itself: endpoints.test.ts). The nightly job's sync
// as a process whose environment names another login host and a proxy (HTTPS_PROXY is the
// process's): it signs in at the host its unit names, through the proxy. Every endpoint flag and
// AZURE_AUTHORITY_HOST refused before any connection, which a listener would count. A sync by hand
// following AZURE_AUTHORITY_HOST to an emulator.

describe("AZURE_AUTHORITY_HOST: the nightly job names its own host", () => {
  const ids = ["--tenant-id", "00000000-0000-4000-8000-0000000000aa", "--client-id", "00000000-0000-4000-8000-0000000000bb"];

  it("the job signs Retain's app in at the cloud's login host, never at the host the variable names", async () => {
    const unit = await runMain(["schedule", "--systemd", ...ids, "--out", "/srv/retain/cfg"]);
    const jobAuthority = / --authority-host (\S+) /.exec(unit.stdout)?.[1];
    assert.equal(jobAuthority, CLOUDS.global.login, unit.stdout + unit.stderr);
    const proxied: string[] = [];
    const proxy = await countingListener((line) => proxied.push(line));
    const authority = await countingListener();
    try {
      const out = mkdtempSync(path.join(tmpdir(), "retain-endpoints-job-"));
      // The token request goes through a loopback proxy, which records where it was headed and closes.
      const result = await runCliAsync(
        ["sync", ...ids, "--authority-host", jobAuthority!, "--out", out, "--graph-endpoint", `https://127.0.0.1:${authority.port}`],
        {
          env: {
            RETAIN_SYNC_CLIENT_SECRET: "s3cret",
            AZURE_AUTHORITY_HOST: `https://127.0.0.1:${authority.port}`,
            HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`,
            https_proxy: "",
            NO_PROXY: "",
            no_proxy: "",
          },
        },
      );
      assert.notEqual(result.code, 0, result.stderr);
      assert.ok(proxied.length > 0, `the token request went through the proxy: ${result.stderr}`);
      for (const line of proxied) assert.equal(line, "CONNECT login.microsoftonline.com:443 HTTP/1.1");
      assert.equal(authority.connections(), 0, "nothing connected to the host AZURE_AUTHORITY_HOST names");
    } finally {
      await proxy.close();
      await authority.close();
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

describe("AZURE_AUTHORITY_HOST: a sync by hand follows it (the nightly job names its own host: above)", () => {
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
