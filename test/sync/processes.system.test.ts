import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { LOCK_FILE } from "../../sync/lock";
import { packagesLoadedBy, runCliAsync, type CliResult } from "../support/cli";
import { directoryRoutes } from "../../emulators/directory";
import { syntheticTenant, type DirectoryTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";

// The sync as the process the nightly job starts: what it loads, a kill while it writes, two at
// once, what another process reading its files sees. sync.system.test.ts and health.system.test.ts test the rest
// of the sync in-process.

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "retain-sync-secret-value-never-shown";

let emulator: GraphEmulator;
let tenant: DirectoryTenant;

before(async () => {
  emulator = await startGraphEmulator({ token: "sync-token", clients: { [APP]: SECRET }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
});
after(() => emulator.close());

const newOut = () => mkdtempSync(path.join(tmpdir(), "retain-sync-"));
function sync(out: string, extra: string[] = [], onSpawn?: (pid: number) => void): Promise<CliResult> {
  return runCliAsync(
    ["sync", "--tenant-id", TENANT, "--client-id", APP, "--out", out, "--graph-endpoint", emulator.url, "--authority-host", emulator.url, ...extra],
    {
      env: { RETAIN_SYNC_CLIENT_SECRET: SECRET },
      ...(onSpawn ? { onSpawn } : {}),
    },
  );
}
const read = (out: string, file: string) => readFileSync(path.join(out, file));
const snapshotOf = (out: string) => ({ users: read(out, "exchangeuser.csv"), groups: read(out, "exchangegroups.csv") });

/** Reads the file as often as it can while `work` runs; every read must be whole. */
async function watchWhole(file: string, isWhole: (text: string) => boolean, work: () => Promise<unknown>): Promise<number> {
  let done = false;
  let reads = 0;
  const reader = (async () => {
    while (!done) {
      if (existsSync(file)) {
        let text: string | undefined;
        try {
          text = readFileSync(file, "utf8");
        } catch {
          text = undefined; // replaced between the check and the read
        }
        if (text !== undefined) {
          assert.ok(isWhole(text), `a partial file was seen: ${JSON.stringify(text)}`);
          reads++;
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await reader;
  }
  return reads;
}

/** Resolves once `name` exists in `folder` (inotify, so no polling interval to guess). */
function appears(folder: string, name: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(folder, () => {
      if (existsSync(path.join(folder, name))) {
        watcher.close();
        resolve();
      }
    });
    if (existsSync(path.join(folder, name))) {
      watcher.close();
      resolve();
    }
  });
}

describe("sync: processes", () => {
  it("starts without the Pulumi SDK, which only `plan` needs (it would cost every nightly run ~90 MB and a second), nor zod and the YAML parser, which only a stack file needs", () => {
    const sync = packagesLoadedBy(["sync", "--help"]);
    const verify = packagesLoadedBy(["verify", "--help"]);
    for (const heavy of ["@pulumi/pulumi", "zod", "yaml"]) {
      assert.ok(!sync.includes(heavy), `sync loads ${heavy}`);
      assert.ok(!verify.includes(heavy), `verify loads ${heavy}`);
    }
    assert.ok(packagesLoadedBy(["plan", "--stack", "example"]).includes("@pulumi/pulumi"), "the report sees a package that is loaded");
  });

  it("a sync killed (SIGKILL) while writing leaves complete files, and the next run recovers", async (t) => {
    tenant = syntheticTenant(7, { users: 30_000, groups: 50, memberships: 2_000 });
    const out = newOut();
    assert.equal((await sync(out)).code, 0);
    const previous = snapshotOf(out);
    tenant.users.splice(0, 1_000);
    let killed = false;
    let childPid = 0;
    // inotify tells the moment a temp file appears: the kill lands while the new files are being written.
    const watcher = watch(out, (_event, name) => {
      if (!killed && childPid && String(name).endsWith(".tmp")) {
        killed = true;
        process.kill(childPid, "SIGKILL");
      }
    });
    const result = await sync(out, ["--full"], (pid) => (childPid = pid));
    watcher.close();
    t.diagnostic(killed ? "the sync was killed once its temp files existed" : "the sync finished before the kill");
    if (killed) assert.equal(result.code, -1, "killed by the signal");
    else assert.equal(result.code, 0, result.stderr);
    // Every file is whole: either the previous generation or the new one, never a torn mix.
    const reference = newOut();
    assert.equal((await sync(reference)).code, 0);
    const now = snapshotOf(out);
    const expected = snapshotOf(reference);
    assert.ok(now.users.equals(previous.users) || now.users.equals(expected.users), "exchangeuser.csv is torn");
    assert.ok(now.groups.equals(previous.groups) || now.groups.equals(expected.groups), "exchangegroups.csv is torn");
    const again = await sync(out);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(!readdirSync(out).some((name) => name.endsWith(".tmp") || name.endsWith(".lock")), "no temp or lock file left");
  });

  it("two syncs started at once: one writes, the other refuses (exit 5) and touches nothing", async () => {
    tenant = syntheticTenant(3, { users: 20, groups: 3, memberships: 10 });
    const reference = newOut();
    assert.equal((await sync(reference)).code, 0);
    tenant.slowMs = 1500;
    const out = newOut();
    const first = sync(out);
    // The second starts once the first holds the folder's lock; Graph's slow answers keep it held.
    await appears(out, LOCK_FILE);
    const second = await sync(out);
    const done = await first;
    tenant.slowMs = 0;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(second.code, 5);
    assert.match(second.stderr, /another sync \(process \d+, started .*\) is writing/);
    assert.deepEqual(snapshotOf(out), snapshotOf(reference));
  });

  it("neither the run record nor the metrics file is ever seen partly written by another process, and no temp file is left", async () => {
    tenant = syntheticTenant(4, { users: 20, groups: 3, memberships: 10 });
    const out = newOut();
    const metrics = path.join(mkdtempSync(path.join(tmpdir(), "retain-textfile-")), "retain-m365.prom");
    const record = path.join(out, "backup", "state", "last-run.json");
    const metricsReads = await watchWhole(
      metrics,
      (text) => text.includes("retain_m365_sync_groups ") && text.endsWith("\n"),
      async () => {
        for (let i = 0; i < 3; i++) assert.equal((await sync(out, ["--full", "--metrics-file", metrics])).code, 0);
      },
    );
    const recordReads = await watchWhole(
      record,
      (text) => text.trimEnd().endsWith("}") && JSON.parse(text) !== undefined,
      async () => {
        assert.equal((await sync(out, ["--full", "--metrics-file", metrics])).code, 0);
      },
    );
    assert.ok(metricsReads > 10 && recordReads > 10);
    assert.deepEqual(readdirSync(path.dirname(metrics)), ["retain-m365.prom"]);
    assert.deepEqual(
      readdirSync(path.dirname(record)).filter((name) => name.endsWith(".tmp")),
      [],
    );
  });
});
