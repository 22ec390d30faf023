import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runMain, type MainResult } from "../support/contract";
import { directoryRoutes } from "../../emulators/directory";
import { putUser, syntheticTenant, type DirectoryTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";
import { loopbackSync } from "../support/sync-arguments";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "retain-resync-secret";

let emulator: GraphEmulator;
let restoreCas: () => void;
let tenant: DirectoryTenant;

before(async () => {
  emulator = await startGraphEmulator({ token: "resync-token", clients: { [APP]: SECRET }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
  restoreCas = trustTestCa();
});
after(async () => {
  restoreCas();
  await emulator.close();
});

function sync(out: string, extra: string[] = []): Promise<MainResult> {
  const args = [...loopbackSync(TENANT, APP, out, emulator.url), ...extra];
  return runMain(args, { env: { RETAIN_SYNC_CLIENT_SECRET: SECRET } });
}

/** Requests a run made, the token service's included. */
async function counted(run: () => Promise<MainResult>): Promise<{ result: MainResult; graph: number; tokenService: number; tokens: number }> {
  const before = { graph: emulator.requests.length, tokenService: emulator.tokenServiceRequests, tokens: emulator.issuedTokens.length };
  const result = await run();
  assert.equal(result.code, 0, result.stderr);
  return {
    result,
    graph: emulator.requests.length - before.graph,
    tokenService: emulator.tokenServiceRequests - before.tokenService,
    tokens: emulator.issuedTokens.length - before.tokens,
  };
}

const files = (out: string) => ["exchangeuser.csv", "exchangegroups.csv", path.join("backup", "state", "delta.json")].map((f) => path.join(out, f));

describe("sync: one sign-in per run, and an unchanged re-sync that does no work it can skip", () => {
  it("a full run with many requests in flight signs in once", async () => {
    tenant = syntheticTenant(7, { users: 300, groups: 120, memberships: 900 });
    const { tokens, graph } = await counted(() => sync(mkdtempSync(path.join(tmpdir(), "resync-")), ["--full", "--concurrency", "8"]));
    assert.equal(tokens, 1);
    assert.ok(graph >= 8, `${graph} Graph requests`);
  });

  it("an unchanged directory: four requests in all, and neither the files nor the state are touched", async () => {
    tenant = syntheticTenant(8, { users: 300, groups: 120, memberships: 900 });
    const out = mkdtempSync(path.join(tmpdir(), "resync-"));
    await counted(() => sync(out));
    const before = files(out).map((file) => statSync(file).mtimeMs);
    const again = await counted(() => sync(out));
    assert.deepEqual(JSON.parse(again.result.stdout).unchanged, true);
    assert.equal(again.graph + again.tokenService, 4, `${again.graph} Graph and ${again.tokenService} token service requests`);
    assert.equal(again.tokens, 1);
    assert.deepEqual(
      files(out).map((file) => statSync(file).mtimeMs),
      before,
      "the CSVs and the delta state were left as they were",
    );
  });

  it("a file that changed on disk since the last run is written again, though Graph reports no change", async () => {
    tenant = syntheticTenant(9, { users: 200, groups: 50, memberships: 300 });
    const out = mkdtempSync(path.join(tmpdir(), "resync-"));
    await counted(() => sync(out));
    const users = path.join(out, "exchangeuser.csv");
    const written = readFileSync(users);
    writeFileSync(users, written.toString("utf8").replace("user1@", "someone.else@"));
    const again = await counted(() => sync(out));
    assert.equal(JSON.parse(again.result.stdout).unchanged, false);
    assert.deepEqual(readFileSync(users), written);
  });

  it("after a change, the run reads only the changes and writes what a full run writes", async () => {
    tenant = syntheticTenant(10, { users: 200, groups: 50, memberships: 300 });
    const out = mkdtempSync(path.join(tmpdir(), "resync-"));
    await counted(() => sync(out));
    putUser(tenant, { ...tenant.users[5]!, displayName: "Renamed" });
    const changed = await counted(() => sync(out));
    assert.equal(JSON.parse(changed.result.stdout).mode, "delta");
    const reference = mkdtempSync(path.join(tmpdir(), "resync-"));
    await counted(() => sync(reference, ["--full"]));
    assert.deepEqual(readFileSync(path.join(out, "exchangeuser.csv")), readFileSync(path.join(reference, "exchangeuser.csv")));
    const next = await counted(() => sync(out));
    assert.equal(JSON.parse(next.result.stdout).unchanged, true, "the run after the change took the shortcut again");
  });
});
