import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { ExitCode, UserFacingError } from "../../core/errors";
import { firstSyncAfterDeploy, runFirstSync, type FirstSyncParams } from "../../sync/first-sync";
import { rejection } from "../support/deployer";
import { recordingClock } from "../support/retry-clock";
import { directoryRoutes } from "../../emulators/directory";
import { type DirectoryTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";
import { oneUserTenant } from "../support/one-user-tenant";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "new-app-secret-from-the-deployment";

let emulator: GraphEmulator;
let tenant: DirectoryTenant;
let restoreCas: () => void;
before(async () => {
  restoreCas = trustTestCa();
  emulator = await startGraphEmulator({ token: "t", clients: { [APP]: SECRET }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
});
after(async () => {
  await emulator.close();
  restoreCas();
});
beforeEach(() => {
  tenant = oneUserTenant();
});

const params = (outDir: string): FirstSyncParams => ({
  tenantId: TENANT,
  clientId: APP,
  clientSecret: SECRET,
  outDir,
  backups: 7,
  maxShrinkPercent: 20,
  graphEndpoint: emulator.url,
  authorityHost: emulator.url,
});

describe("the post-deploy first sync", () => {
  it("writes the CSVs when the permissions are already in effect", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "first-sync-"));
    const summary = await runFirstSync(params(out), { waitForPermissionsMs: 5_000, retryIntervalMs: 200 });
    assert.equal(summary.users, 1);
    assert.ok(existsSync(path.join(out, "exchangeuser.csv")));
  });

  it("waits while Graph still refuses the new permissions (403), then syncs", async () => {
    tenant.forbiddenUntil = Date.now() + 60_000;
    const out = mkdtempSync(path.join(tmpdir(), "first-sync-"));
    const messages: string[] = [];
    // The permissions apply during the second wait.
    const clock = recordingClock();
    const sleep = clock.sleep;
    clock.sleep = async (ms) => {
      await sleep(ms);
      if (clock.waits.length === 2) tenant.forbiddenUntil = 0;
    };
    const summary = await runFirstSync(params(out), { waitForPermissionsMs: 20_000, retryIntervalMs: 500, log: (m) => messages.push(m), clock });
    assert.equal(summary.users, 1);
    assert.deepEqual(clock.waits, [500, 500], "the same interval each time");
    assert.deepEqual(
      messages,
      [1, 2].map((n) => `first directory sync: permissions not in effect yet (attempt ${n}); trying again in 1 s`),
    );
    assert.ok(messages.every((m) => !m.includes(SECRET)));
  });

  it("gives up after the limit with a clear way to run it by hand, and writes nothing", async () => {
    tenant.forbiddenUntil = Date.now() + 60_000;
    const out = mkdtempSync(path.join(tmpdir(), "first-sync-"));
    const clock = recordingClock();
    const error = await rejection(runFirstSync(params(out), { waitForPermissionsMs: 1_500, retryIntervalMs: 500, clock }));
    assert.deepEqual(clock.waits, [500, 500, 500], "no wait that would end past the limit");
    assert.ok(error instanceof UserFacingError);
    assert.equal(error.exitCode, ExitCode.auth);
    assert.match(
      error.message,
      /^the first directory sync failed after waiting \d+ s for the new permissions: .*Authorization_RequestDenied.*Run it by hand once the permissions apply: npx retain-m365 sync --tenant-id 00000000-0000-4000-8000-0000000000aa --client-id 00000000-0000-4000-8000-0000000000bb --out \S+ --client-secret-file </,
    );
    // Never the secret on a command line, where the shell's history keeps it: a file, the variable set some other way, or a certificate.
    assert.doesNotMatch(error.message, /RETAIN_SYNC_CLIENT_SECRET=|--client-secret[ =]/);
    assert.match(
      error.message,
      /or the secret in RETAIN_SYNC_CLIENT_SECRET, set without typing it on a command line, .*or --certificate <folder> after `retain-m365 credential new`\)$/,
    );
    assert.ok(!error.message.includes(SECRET));
    assert.deepEqual(
      readdirSync(out).filter((name) => name.endsWith(".csv") || name.endsWith(".tmp")),
      [],
    );
  });

  it("after a deployment on the Retain server (its output folder is on this machine): writes the CSVs there", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "first-sync-"));
    const { summary, wroteOutputFolder } = await firstSyncAfterDeploy(params(out), { waitForPermissionsMs: 5_000, retryIntervalMs: 200 });
    assert.equal(wroteOutputFolder, true);
    assert.equal(summary.users, 1);
    assert.ok(existsSync(path.join(out, "exchangeuser.csv")));
  });

  it("after a deployment elsewhere (CI=true on a runner, no output folder here): reads the tenant, writes nothing outside a temporary folder, and leaves none", async (test) => {
    const ci = process.env.CI;
    process.env.CI = "true";
    test.after(() => (ci === undefined ? delete process.env.CI : (process.env.CI = ci)));
    const absent = path.join(mkdtempSync(path.join(tmpdir(), "first-sync-")), "opt", "beginfinite", "retain", "RetainServer", "WEB-INF", "cfg");
    const temporaryBase = mkdtempSync(path.join(tmpdir(), "first-sync-base-"));
    const { summary, wroteOutputFolder } = await firstSyncAfterDeploy(params(absent), { waitForPermissionsMs: 5_000, retryIntervalMs: 200 }, temporaryBase);
    assert.equal(wroteOutputFolder, false);
    assert.equal(summary.users, 1, "the new app's access is proved all the same");
    assert.ok(!existsSync(path.dirname(path.dirname(absent))), "nothing made where the output folder would be");
    assert.deepEqual(readdirSync(temporaryBase), [], "the temporary folder is gone");
  });

  it("elsewhere, a refusal still fails the deployment, naming the real output folder, and leaves no temporary folder", async () => {
    tenant.forbiddenUntil = Date.now() + 60_000;
    const absent = path.join(mkdtempSync(path.join(tmpdir(), "first-sync-")), "cfg");
    const temporaryBase = mkdtempSync(path.join(tmpdir(), "first-sync-base-"));
    const error = await rejection(
      firstSyncAfterDeploy(params(absent), { waitForPermissionsMs: 500, retryIntervalMs: 500, clock: recordingClock() }, temporaryBase),
    );
    assert.ok(error instanceof UserFacingError);
    assert.ok(error.message.includes(`--out ${absent} `), error.message);
    assert.deepEqual(readdirSync(temporaryBase), []);
  });
});
