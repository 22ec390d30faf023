import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { directoryRoutes } from "../../emulators/directory";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";
import { firstSyncAfterSecretCreated } from "../../program/first-sync-hook";
import { oneUserTenant } from "../support/one-user-tenant";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "hook-secret-from-the-deployment";
const EXPIRES = "2027-12-01T00:00:00Z";

let emulator: GraphEmulator;
let restoreCas: () => void;
before(async () => {
  restoreCas = trustTestCa();
  const tenant = oneUserTenant();
  emulator = await startGraphEmulator({ token: "t", clients: { [APP]: SECRET }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
});
after(async () => {
  await emulator.close();
  restoreCas();
});

/** The hook as the engine calls it after Retain's client secret is created, its messages collected. */
async function runHook(outputDir: string): Promise<string[]> {
  const messages: string[] = [];
  const callback = firstSyncAfterSecretCreated("contoso-first-sync", {
    tenantId: TENANT,
    clientId: () => APP as unknown as pulumi.Output<string>,
    secretExpires: () => EXPIRES as unknown as pulumi.Output<string>,
    directorySync: { outputDir, runAfterFirstDeploy: true, backups: 7, maxShrinkPercent: 20 },
    endpoints: { graphEndpoint: emulator.url, authorityHost: emulator.url },
    timing: { waitForPermissionsMs: 5_000, retryIntervalMs: 200 },
    log: (message) => messages.push(message),
  });
  await callback({
    urn: "urn:secret",
    id: "secret",
    name: "contoso-app-secret",
    type: "azuread:index/applicationPassword:ApplicationPassword",
    newOutputs: { value: SECRET },
  });
  return messages;
}

describe("the post-deploy hook: the first sync where the deployment runs", () => {
  it("on the Retain server: writes the CSVs into the output folder and says so", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "hook-out-"));
    const messages = await runHook(out);
    assert.ok(existsSync(path.join(out, "exchangeuser.csv")));
    assert.deepEqual(messages, [`first directory sync: wrote 1 users and 0 groups (0 memberships) into ${out}`]);
  });

  it("on a CI runner: reports the counts, says the CSVs come from the Retain server's job, and prints the command that installs it", async () => {
    const out = "/opt/beginfinite/retain/RetainServer/WEB-INF/cfg-not-on-this-runner";
    const messages = await runHook(out);
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /^first directory sync: read 1 users and 0 groups \(0 memberships\) with Retain's new app, so its permissions work; /);
    assert.match(
      messages[0]!,
      /The CSVs come from the nightly job on the Retain server; install it there as root: \/opt\/retain-m365-sync\/bin\/retain-m365 schedule --systemd /,
    );
    assert.ok(messages[0]!.includes(`--client-id ${APP}`) && messages[0]!.includes(`--secret-expires ${EXPIRES}`) && messages[0]!.includes(`--out ${out}`));
    assert.ok(!messages[0]!.includes(SECRET));
    assert.ok(!existsSync(out));
  });
});
