import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runMain, type MainResult } from "../support/contract";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant, type DirectoryTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";
import { buildAddressBook } from "../../sync/address-book";
import { Directory } from "../../sync/directory";
import { replaceFiles } from "../../sync/replace";
import { createNew, rootWarning, tempFileProcess, tempNameFor, THIS_HOST } from "../../sync/safe-files";

// Retain's cfg folder is writable by Retain's own account: what it can plant there must never make
// the sync read or write a file outside the folder, and a refused run loses nothing.

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "hostile-folder-secret-never-shown";
/** A uid no account of this machine has: "another user". */
const OTHER_UID = 54_321;

let emulator: GraphEmulator;
let tenant: DirectoryTenant;
let restoreCas: () => void;
const user = (id: string, name: string) => ({
  id,
  displayName: name,
  mail: `${id}@contoso.com`,
  mailNickname: id,
  userPrincipalName: `${id}@contoso.com`,
  proxyAddresses: [`SMTP:${id}@contoso.com`],
  userType: "Member",
  accountEnabled: true,
});

before(async () => {
  tenant = directoryTenant({
    users: [user("ann", "Ann"), user("bob", "Bob")],
    groups: [{ id: "g-1", displayName: "All", mail: "all@contoso.com", mailNickname: "all", proxyAddresses: ["SMTP:all@contoso.com"], mailEnabled: true }],
    members: new Map([["g-1", ["ann", "bob"]]]),
  });
  emulator = await startGraphEmulator({ token: "hostile-token", clients: { [APP]: SECRET }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
  restoreCas = trustTestCa();
});
after(async () => {
  restoreCas();
  await emulator.close();
});

const ROOT_WARNING_LINE = `warning: ${rootWarning({ ...THIS_HOST, user: 0 })}\n`;
/** A sync in this process; `onStart` is given its pid first, as `ps` would show it as it starts. */
function sync(out: string, extra: string[] = [], onStart?: (pid: number) => void): Promise<MainResult> {
  onStart?.(process.pid);
  return runMain(
    ["sync", "--tenant-id", TENANT, "--client-id", APP, "--out", out, "--graph-endpoint", emulator.url, "--authority-host", emulator.url, "--json", ...extra],
    {
      env: { RETAIN_SYNC_CLIENT_SECRET: SECRET },
    },
  ).then((result) => ({ ...result, stderr: result.stderr.replace(ROOT_WARNING_LINE, "") }));
}

/** A file the job's user can read that Retain's account wants: its bytes, mode and folder must stay as they are. */
interface Outside {
  dir: string;
  file: string;
  bytes: Buffer;
  mode: number;
}
function outside(): Outside {
  const dir = mkdtempSync(path.join(tmpdir(), "retain-outside-"));
  const file = path.join(dir, "credential.pem");
  const bytes = Buffer.from(`-----BEGIN PRIVATE KEY-----\nOUTSIDE-${Math.random().toString(36).slice(2)}\n-----END PRIVATE KEY-----\n`);
  writeFileSync(file, bytes, { mode: 0o600 });
  return { dir, file, bytes, mode: statSync(file).mode };
}

interface Folder {
  out: string;
  users: Buffer;
  groups: Buffer;
}
/** A folder after one good run, and a directory that has changed since, so the next run would replace and back up the files. */
async function syncedFolder(): Promise<Folder> {
  const out = mkdtempSync(path.join(tmpdir(), "retain-hostile-"));
  const first = await sync(out);
  assert.equal(first.code, 0, first.stderr);
  tenant.users[1]!.displayName = `Bob ${Math.random().toString(36).slice(2)}`;
  return { out, users: readFileSync(path.join(out, "exchangeuser.csv")), groups: readFileSync(path.join(out, "exchangegroups.csv")) };
}

/** Every regular file under `dir`, links (to files or folders) not followed. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const entry = path.join(dir, name);
    const stats = lstatSync(entry);
    return stats.isDirectory() ? filesUnder(entry) : stats.isFile() ? [entry] : [];
  });
}

/** Nothing outside the folder was read into it or written: the file's bytes and mode, its folder's names, and no copy in the folder. */
function assertOutsideUntouched(target: Outside, out: string): void {
  assert.ok(readFileSync(target.file).equals(target.bytes), "the outside file's bytes changed");
  assert.equal(statSync(target.file).mode, target.mode, "the outside file's mode changed");
  assert.deepEqual(readdirSync(target.dir), ["credential.pem"], "something was written beside the outside file");
  for (const file of filesUnder(out)) assert.ok(!readFileSync(file).includes(target.bytes.subarray(28, 44)), `${file} holds the outside file's bytes`);
}

/** The CSVs that were there (a planted link counts as one: still the same link). */
function assertCsvsKept(folder: Folder): void {
  for (const [name, bytes] of [
    ["exchangeuser.csv", folder.users],
    ["exchangegroups.csv", folder.groups],
  ] as const) {
    const file = path.join(folder.out, name);
    if (lstatSync(file).isSymbolicLink()) continue;
    assert.ok(readFileSync(file).equals(bytes), `${name} changed`);
  }
}

/** Refused: `code`, one sentence naming `file`, nothing lost. */
function assertRefused(result: MainResult, code: number, file: string, reason: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.split("\n").length, 2, `one sentence: ${result.stderr}`);
  assert.ok(result.stderr.startsWith(`retain-m365: ${file} `), result.stderr);
  assert.match(result.stderr, reason);
}

/** Makes `file` another user's: chown as root; else through passwordless sudo (GitHub's runners have it), or the test says what it needs. */
function giveToAnotherUser(file: string): void {
  if (process.geteuid?.() === 0) return chownSync(file, OTHER_UID, OTHER_UID);
  const sudo = spawnSync("sudo", ["-n", "chown", `${OTHER_UID}:${OTHER_UID}`, file], { encoding: "utf8" });
  assert.equal(sudo.status, 0, `a file another user owns can only be made as root or with passwordless sudo: ${sudo.stderr}`);
}

const LINK = /is a symbolic link, which the sync never follows: remove it; the previous files are left untouched\n$/;

describe("a link planted in the sync's folder: refused, nothing outside read or written, nothing lost", () => {
  for (const name of ["exchangeuser.csv", "exchangegroups.csv"]) {
    it(`${name} → a file outside: exit 5 before Graph is read; not copied into backup/`, async () => {
      const folder = await syncedFolder();
      const target = outside();
      const planted = path.join(folder.out, name);
      rmSync(planted);
      symlinkSync(target.file, planted);
      const requests = emulator.requests.length;
      const result = await sync(folder.out);
      assertRefused(result, 5, planted, LINK);
      assert.equal(emulator.requests.length, requests, "Graph was not read");
      assert.equal(readlinkSync(planted), target.file, "the link is left for the admin to see");
      assertCsvsKept(folder);
      assertOutsideUntouched(target, folder.out);
    });
  }

  for (const name of ["backup", "backup/state"]) {
    it(`${name}/ → a folder outside: exit 5; nothing written there`, async () => {
      const folder = await syncedFolder();
      const target = outside();
      const planted = path.join(folder.out, name);
      renameSync(planted, `${planted}.moved`);
      symlinkSync(target.dir, planted);
      const result = await sync(folder.out);
      assertRefused(result, 5, planted, LINK);
      assertCsvsKept(folder);
      assertOutsideUntouched(target, folder.out);
    });
  }

  for (const name of ["delta.json", "last-run.json"]) {
    it(`backup/state/${name} → a file outside: exit 5; neither read nor replaced`, async () => {
      const folder = await syncedFolder();
      const target = outside();
      const planted = path.join(folder.out, "backup", "state", name);
      rmSync(planted);
      symlinkSync(target.file, planted);
      const result = await sync(folder.out);
      assertRefused(result, 5, planted, LINK);
      assert.equal(readlinkSync(planted), target.file);
      assertCsvsKept(folder);
      assertOutsideUntouched(target, folder.out);
    });
  }

  it("status does not follow a last-run.json link: it reports it untrusted (exit 6), without reading it", async () => {
    const folder = await syncedFolder();
    const target = outside();
    writeFileSync(target.file, JSON.stringify({ at: new Date().toISOString(), ok: true, exitCode: 0, durationMs: 1, lastSuccessAt: new Date().toISOString() }));
    target.bytes = readFileSync(target.file);
    const planted = path.join(folder.out, "backup", "state", "last-run.json");
    rmSync(planted);
    symlinkSync(target.file, planted);
    const result = await runMain(["status", "--out", folder.out, "--json"]);
    assert.equal(result.code, 6, result.stderr);
    const report = JSON.parse(result.stdout) as { problems: string[]; lastRun: unknown };
    assert.equal(report.lastRun, null, "the linked record, a healthy one, was not believed");
    assert.deepEqual(report.problems, [
      `${planted} is not trusted, so it was not read: it is a symbolic link; remove it (the next run writes a new one) and check who else writes ${folder.out}`,
    ]);
  });

  it("status does not read a record through a linked backup/state/ either: a problem naming the link (exit 6)", async () => {
    const folder = await syncedFolder();
    const elsewhere = mkdtempSync(path.join(tmpdir(), "retain-outside-"));
    chmodSync(elsewhere, 0o750);
    const healthy = { at: new Date().toISOString(), ok: true, exitCode: 0, durationMs: 1, lastSuccessAt: new Date().toISOString() };
    writeFileSync(path.join(elsewhere, "last-run.json"), JSON.stringify(healthy), { mode: 0o640 });
    const planted = path.join(folder.out, "backup", "state");
    renameSync(planted, `${planted}.moved`);
    symlinkSync(elsewhere, planted);
    const result = await runMain(["status", "--out", folder.out, "--json"]);
    assert.equal(result.code, 6, result.stderr);
    const report = JSON.parse(result.stdout) as { problems: string[]; lastRun: unknown };
    assert.equal(report.lastRun, null);
    assert.deepEqual(report.problems, [`the run record is not read: ${planted} is a symbolic link`]);
  });

  it("the lock → a file outside: exit 5; the file neither read as a lock nor removed", async () => {
    const folder = await syncedFolder();
    const target = outside();
    const planted = path.join(folder.out, ".retain-m365-sync.lock");
    symlinkSync(target.file, planted);
    const result = await sync(folder.out);
    assertRefused(result, 5, planted, LINK);
    assert.equal(readlinkSync(planted), target.file);
    assertCsvsKept(folder);
    assertOutsideUntouched(target, folder.out);
  });

  it("a hard link to a file outside, in a CSV's place: exit 5, not copied into backup/", async () => {
    const folder = await syncedFolder();
    const target = outside();
    const planted = path.join(folder.out, "exchangegroups.csv");
    rmSync(planted);
    linkSync(target.file, planted); // the same file system: both under the temp folder
    const result = await sync(folder.out);
    assertRefused(result, 5, planted, /has 2 hard links, so it may be another file's: move it away; the previous files are left untouched\n$/);
    assertOutsideUntouched(target, path.join(folder.out, "backup"));
  });

  it("a FIFO in a CSV's place is refused at once (exit 2), not waited on", async () => {
    const folder = await syncedFolder();
    const planted = path.join(folder.out, "exchangeuser.csv");
    rmSync(planted);
    assert.equal(spawnSync("mkfifo", [planted]).status, 0);
    const result = await sync(folder.out);
    assertRefused(result, 2, planted, /is not a regular file; move it away so the sync can use that name\n$/);
  });
});

describe("temp file names planted in advance: never written through", () => {
  /** The names the sync used to write, predictable from its pid (`ps` shows it), each a link to the outside file. */
  const oldNames = (pid: number) => [
    `.exchangeuser.csv.${pid}.tmp`,
    `.exchangegroups.csv.${pid}.tmp`,
    `.exchangeuser.csv.${pid}.tmp.previous`,
    `.retain-m365-sync.lock.${pid}.tmp`,
    `.retain-m365-sync.lock.stale.${pid}`,
    `backup/state/delta.json.${pid}.tmp`,
    `backup/state/.last-run.json.${pid}.tmp`,
  ];
  const plant = (out: string, pid: number, target: Outside) => {
    for (const name of oldNames(pid)) symlinkSync(target.file, path.join(out, name));
  };

  it("replacing the files in this process: the links at its old temp names are left alone, the files replaced", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "retain-hostile-"));
    const target = outside();
    const book = (name: string) =>
      buildAddressBook(Directory.of({ users: [{ ...user("ann", name), userType: "Member", accountEnabled: true }], groups: [], members: new Map() }));
    await replaceFiles(book("Ann"), { outDir: out, backups: 3, maxShrinkPercent: 20, force: false });
    mkdirSync(path.join(out, "backup", "state"), { recursive: true });
    plant(out, process.pid, target);
    const result = await replaceFiles(book("Ann Smith"), { outDir: out, backups: 3, maxShrinkPercent: 20, force: false });
    assert.equal(result.unchanged, false);
    assert.match(readFileSync(path.join(out, "exchangeuser.csv"), "utf8"), /"Ann Smith"/);
    assertOutsideUntouched(target, out);
    for (const name of oldNames(process.pid)) assert.equal(readlinkSync(path.join(out, name)), target.file);
  });

  it("a sync whose pid was read from `ps` and whose old temp names were planted at once: it syncs, the outside file untouched", async () => {
    const folder = await syncedFolder();
    const target = outside();
    const result = await sync(folder.out, [], (pid) => plant(folder.out, pid, target));
    assert.equal(result.code, 0, result.stderr);
    assert.match(readFileSync(path.join(folder.out, "exchangeuser.csv"), "utf8"), /"Bob /);
    assertOutsideUntouched(target, folder.out);
  });

  it("this version's temp names are random and made exclusively: a name already there is never opened", () => {
    const out = mkdtempSync(path.join(tmpdir(), "retain-hostile-"));
    const file = path.join(out, "exchangeuser.csv");
    const names = new Set(Array.from({ length: 100 }, () => path.basename(tempNameFor(file))));
    assert.equal(names.size, 100);
    for (const name of names) assert.match(name, new RegExp(`^\\.exchangeuser\\.csv\\.${process.pid}\\.[0-9a-f]{16}\\.tmp$`));
    assert.equal(tempFileProcess([...names][0]!, ["exchangeuser.csv"]), process.pid);
    assert.equal(
      tempFileProcess(`.exchangeuser.csv.${process.pid}.tmp`, ["exchangeuser.csv"]),
      process.pid,
      "an earlier version's leftovers are recognised too",
    );
    const target = outside();
    const planted = path.join(out, ".planted.tmp");
    symlinkSync(target.file, planted);
    assert.throws(() => createNew(planted, 0o640), { code: "EEXIST" });
    symlinkSync(path.join(target.dir, "new-file"), path.join(out, ".dangling.tmp"));
    assert.throws(() => createNew(path.join(out, ".dangling.tmp"), 0o640), { code: "EEXIST" }, "not even a dangling link's target is created");
    assertOutsideUntouched(target, out);
  });
});

describe("files and folders another user owns", () => {
  for (const name of ["exchangeuser.csv", "backup", "backup/state", ".retain-m365-sync.lock"]) {
    it(`${name}: refused (exit 5), nothing lost`, async () => {
      const folder = await syncedFolder();
      const planted = path.join(folder.out, name);
      if (name.endsWith(".lock")) writeFileSync(planted, JSON.stringify({ pid: 2 ** 22 + 5, host: "elsewhere", started: "2026-01-01T00:00:00.000Z" }));
      giveToAnotherUser(planted);
      const result = await sync(folder.out);
      assertRefused(
        result,
        5,
        planted,
        new RegExp(`belongs to uid ${OTHER_UID}, not to the sync's user \\(uid ${process.geteuid?.()}\\), so it may have been put there by another account`),
      );
      assertCsvsKept(folder);
    });
  }

  it("backup/ writable by others: refused (exit 5)", async () => {
    const folder = await syncedFolder();
    const planted = path.join(folder.out, "backup");
    chmodSync(planted, 0o777);
    const result = await sync(folder.out);
    assertRefused(result, 5, planted, /is writable by group or others \(mode 0777\), so another account may have changed it: run `chmod go-w .*backup`/);
    assertCsvsKept(folder);
  });

  const distrusted: [string, (file: string) => void, RegExp][] = [
    ["another user's", giveToAnotherUser, new RegExp(`belongs to uid ${OTHER_UID}`)],
    ["writable by others", (file) => chmodSync(file, 0o666), /is writable by group or others \(mode 0666\)/],
  ];
  for (const [what, make, reason] of distrusted) {
    it(`a delta state ${what} is not believed: the run reads everything, says why, and writes a state of its own`, async () => {
      const folder = await syncedFolder();
      const state = path.join(folder.out, "backup", "state", "delta.json");
      // What another account would write: Ann renamed, which a delta run (Graph reports only Bob's change) would carry into the CSV.
      const forged = readFileSync(state, "utf8").replace('"Ann"', '"Mallory"');
      assert.ok(forged.includes('"Mallory"'));
      writeFileSync(state, forged);
      make(state);
      const result = await sync(folder.out);
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout) as { mode: string; warning?: string };
      assert.equal(summary.mode, "full");
      assert.match(summary.warning ?? "", new RegExp(`^the delta state ${state} .*, so it is not believed and this run read everything$`));
      assert.match(summary.warning ?? "", reason);
      assert.doesNotMatch(readFileSync(path.join(folder.out, "exchangeuser.csv"), "utf8"), /Mallory/);
      const now = lstatSync(state);
      assert.equal(now.uid, process.geteuid?.());
      assert.equal(now.mode & 0o777, 0o640);
      const again = JSON.parse((await sync(folder.out)).stdout) as { mode: string; warning?: string };
      assert.deepEqual([again.mode, again.warning], ["delta", undefined], "the state it wrote is believed");
    });
  }

  it("a run record another user owns: status reports it untrusted (exit 6); the next run replaces it", async () => {
    const folder = await syncedFolder();
    const record = path.join(folder.out, "backup", "state", "last-run.json");
    giveToAnotherUser(record);
    const status = await runMain(["status", "--out", folder.out]);
    assert.equal(status.code, 6);
    assert.match(status.stdout, new RegExp(`^unhealthy: ${record} is not trusted, so it was not read: it belongs to uid ${OTHER_UID}`));
    assert.equal((await sync(folder.out)).code, 0);
    assert.equal(lstatSync(record).uid, process.geteuid?.());
    assert.equal((await runMain(["status", "--out", folder.out])).code, 0);
  });
});

describe("run as root", () => {
  it("warns on stderr, naming the risk and the fix; not as another user", async () => {
    assert.match(rootWarning({ ...THIS_HOST, user: 0 }) ?? "", /^the sync runs as root: .* run it as the nightly job's own user/);
    assert.equal(rootWarning({ ...THIS_HOST, user: 1000 }), undefined);
    assert.equal(rootWarning({ noFollow: 0, user: null, modes: false }), undefined, "Windows has no root uid");
    const out = mkdtempSync(path.join(tmpdir(), "retain-hostile-"));
    const result = await runMain(
      ["sync", "--tenant-id", TENANT, "--client-id", APP, "--out", out, "--graph-endpoint", emulator.url, "--authority-host", emulator.url],
      {
        env: { RETAIN_SYNC_CLIENT_SECRET: SECRET },
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr.includes(ROOT_WARNING_LINE), process.geteuid?.() === 0);
    assert.ok(existsSync(path.join(out, "exchangeuser.csv")));
  });
});
