import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { assertContract, runMain } from "../support/contract";
import { directoryRoutes } from "../../emulators/directory";
import { syntheticTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "state-files-secret-never-shown";

/** The files a sync reads back from its folder, as a crash, a full disk or a hand edit may leave them. */
const STATE_FILES = ["backup/state/last-run.json", "backup/state/delta.json", ".retain-m365-sync.lock", "exchangeuser.csv", "exchangegroups.csv"];
const damaged = fc.oneof(
  fc.constantFrom(
    "",
    "{",
    "null",
    "5",
    "[]",
    "{}",
    '"x"',
    '{"pid":"x","host":5}',
    `["links",{"version":3,"usersDeltaLink":5,"groupsDeltaLink":null}]\n["user",5]\n["members",null,7]\n`,
    `["links",{"version":3,"usersDeltaLink":"GRAPH/v1.0/users/delta?$deltatoken=latest","groupsDeltaLink":"GRAPH/v1.0/groups/delta?$deltatoken=latest"}]\n["user","u-1",[5,null]]\n["group","g-1",{"mail":7}]\n["members","g-1",[null]]\n`,
    "\0\0\0",
    '\uFEFF,,,\n"\n',
  ),
  fc.string({ maxLength: 40 }),
  fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
);

describe("damaged state files: sync and status answer with a code of the contract, never 1", () => {
  let emulator: GraphEmulator;
  let restoreCas: () => void;
  before(async () => {
    const tenant = syntheticTenant(7, { users: 5, groups: 2, memberships: 4 });
    emulator = await startGraphEmulator({ token: "state-token", clients: { [APP]: SECRET }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
    restoreCas = trustTestCa();
  });
  after(async () => {
    restoreCas();
    await emulator.close();
  });

  it("holds for generated contents of each state file, and for a folder in its place", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...STATE_FILES), fc.option(damaged, { nil: undefined }), async (name, content) => {
        const out = mkdtempSync(path.join(tmpdir(), "retain-state-"));
        const file = path.join(out, name);
        mkdirSync(path.dirname(file), { recursive: true });
        if (content === undefined) mkdirSync(file);
        else writeFileSync(file, content.replaceAll("GRAPH", emulator.url)); // delta links the emulator answers
        const input = { name, content };
        const status = await runMain(["status", "--out", out]);
        assertContract("status", status, [SECRET], input);
        const sync = await runMain(
          ["sync", "--tenant-id", TENANT, "--client-id", APP, "--out", out, "--graph-endpoint", emulator.url, "--authority-host", emulator.url],
          {
            env: { RETAIN_SYNC_CLIENT_SECRET: SECRET },
          },
        );
        assertContract("sync", { code: sync.code ?? -1, stdout: sync.stdout, stderr: sync.stderr }, [SECRET], input);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 6), interruptAfterTimeLimit: 30_000, markInterruptAsFailure: false },
    );
  });
});
