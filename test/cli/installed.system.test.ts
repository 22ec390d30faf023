import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { ExchangeState } from "../../emulators/exchange";
import { ewsRoute } from "../../emulators/ews";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { runCli, runCliAsync } from "../support/cli";
import { assertContract } from "../support/contract";
import { deployedEwsTenant, EWS_TENANT } from "../support/ews-tenant";

// The installed executable, bin/retain-m365.js, as a process: what argument-properties.test.ts and
// verify-access.system.test.ts hold in-process, it does too.

const SECRET = "0ffe1abc-secret-MARKER-never-printed";

describe("the installed executable", () => {
  const work = mkdtempSync(path.join(tmpdir(), "retain-installed-"));
  const stacks = path.join(work, "stacks");
  const underFile = path.join(work, "garbage.pem", "child");
  let emulator: GraphEmulator;
  let state: ExchangeState;

  before(async () => {
    writeFileSync(path.join(work, "garbage.pem"), "not a certificate\n");
    mkdirSync(stacks);
    writeFileSync(
      path.join(stacks, "Pulumi.bomb.yaml"),
      "config:\n  a: &a [x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    );
    state = deployedEwsTenant();
    emulator = await startGraphEmulator({
      token: "ews-token",
      routes: [],
      clients: { [EWS_TENANT.appId]: SECRET },
      ews: (request, e) => ewsRoute(state)(request, e),
    });
  });
  after(() => emulator.close());

  it("refuses bad arguments as in-process runs do: exit 2, one sentence, no stack trace, no secret", () => {
    for (const args of [
      ["verify", "--domain", "bad domain!"],
      ["plan", "--stack", "bomb", "--stacks-dir", stacks],
      ["sync", "--tenant-id", EWS_TENANT.tenantId, "--client-id", EWS_TENANT.appId, "--out", underFile],
    ]) {
      const result = runCli(args, { cwd: work, env: { CLOUDFLARE_API_TOKEN: SECRET, AZURE_AUTHORITY_HOST: "https://127.0.0.1:9" } });
      assertContract(args[0]!, { code: result.code ?? -1, stdout: result.stdout, stderr: result.stderr }, [SECRET], args);
      assert.equal(result.code, 2, result.stderr);
    }
  });

  it("runs verify --access against the EWS emulator, trusting its CA through NODE_EXTRA_CA_CERTS", async () => {
    const args = [
      "verify",
      "--access",
      "--tenant-id",
      EWS_TENANT.tenantId,
      "--client-id",
      EWS_TENANT.appId,
      "--ews-endpoint",
      emulator.url,
      "--authority-host",
      emulator.url,
    ];
    const result = await runCliAsync([...args, "--mailbox", EWS_TENANT.inside, "--outside", EWS_TENANT.outside, "--json"], {
      env: { RETAIN_SYNC_CLIENT_SECRET: SECRET, AZURE_AUTHORITY_HOST: undefined },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { ok: boolean }).ok, true);
  });
});
