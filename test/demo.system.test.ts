import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parseContractCsv } from "../sync/csv";
import { REPO_ROOT } from "./support/cli";
import { refusesConnections } from "./support/listener";

// `npm run demo` as CI (and a newcomer) runs it, with a temporary output folder instead of ./demo-out.

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The demo's process group, its own: every process it started is in it. */
  group: number;
}

const folders: string[] = [];
const newFolder = (prefix: string) => {
  folders.push(mkdtempSync(path.join(tmpdir(), prefix)));
  return folders.at(-1)!;
};
const out = newFolder("retain-demo-");
let run: DemoRun;

function runDemo(): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "demo", "--", "--out", out], { cwd: REPO_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, group: child.pid! }));
  });
}

/** Stopped as a CI job's timeout or an admin's `kill` stops it, while a CLI child is running. */
function stopDemoMidway(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "demo", "run.ts"), "--out", newFolder("retain-demo-")], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    });
    child.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString("utf8").includes("$ retain-m365 adopt")) child.kill("SIGTERM");
    });
    child.on("error", reject);
    child.on("close", () => resolve(child.pid!));
  });
}

/** Processes of a process group that still run (a zombie has ended: it only waits to be reaped), from /proc. */
function runningIn(group: number): string[] {
  const running: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // ended meanwhile
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === group && state !== "Z") running.push(`${pid} ${stat.slice(0, stat.lastIndexOf(")") + 1)}`);
  }
  return running;
}

async function runningAfter(group: number, ms: number): Promise<string[]> {
  for (const deadline = Date.now() + ms; Date.now() < deadline && runningIn(group).length > 0;) await new Promise((resolve) => setTimeout(resolve, 100));
  return runningIn(group);
}

/** What the demo printed for one step: from its "▶ <name>" line to the next step's. */
function stepOutput(stdout: string, name: string): string {
  const start = stdout.indexOf(`\n▶ ${name}`);
  assert.ok(start >= 0, `the demo has no step ${name}`);
  const end = stdout.indexOf("\n▶ ", start + 1);
  return stdout.slice(start, end < 0 ? undefined : end);
}

describe("npm run demo", () => {
  before(async () => {
    run = await runDemo();
  });
  after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  it("exits 0 after every step: plan, adopt's decision, readiness, sync, the delta sync, status, verify --access, the systemd unit", () => {
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    for (const command of ["plan", "adopt", "readiness", "sync", "status", "verify --access", "schedule --systemd"])
      assert.match(run.stdout, new RegExp(`\\$ retain-m365 ${command} `), command);
    assert.match(run.stdout, /decide with retain-m365:domains\[0\]\.onExisting\.mx/);
    assert.match(run.stdout, /\(full read\)/);
    assert.match(run.stdout, /\(changes only\)/);
    assert.match(run.stdout, /^ {4}healthy: /m);
    assert.match(run.stdout, /^ {4}ExecStart=/m);
  });

  it("prints each step README's sample shows, as README shows it", () => {
    const sample = /```text\n([\s\S]*?)```/.exec(readFileSync(path.join(REPO_ROOT, "README.md"), "utf8"))?.[1] ?? "";
    const steps = sample.split("\n").filter((line) => line.startsWith("▶"));
    assert.ok(steps.length >= 7, "README shows the demo's steps");
    for (const line of steps) assert.ok(run.stdout.includes(line.replace(/demo-out/g, out)), `the demo no longer prints: ${line}`);
  });

  it("readiness after the deploy: exit 6 naming exactly the mailbox with EWS off and the Kiosk-only one, EWS's end, and nothing written", () => {
    const readiness = stepOutput(run.stdout, "readiness");
    assert.match(readiness, /^ {4}exit 6$/m, "readiness exited 6");
    assert.match(readiness, /^ {4}EWS ends: 2027-04-01, in \d+ days$/m);
    assert.match(readiness, /^ {4}organization: EwsEnabled True, allow list of 2 \(Retain listed\)$/m);
    const counts = /^ {4}mailboxes: (\d+) in scope, (\d+) ready, 2 not ready$/m.exec(readiness);
    assert.ok(
      counts && Number(counts[1]) >= 24 && Number(counts[2]) === Number(counts[1]) - 2,
      "a scope group of a few dozen mailboxes, two of them not ready",
    );
    const problems = [...readiness.matchAll(/^ {4}(mailbox-ews-off|frontline-licence|no-mailbox) +(\S+): /gm)].map((m) => m[1]);
    assert.deepEqual(problems.sort(), ["frontline-licence", "mailbox-ews-off"]);
    assert.doesNotMatch(readiness, /^ {4}problem /m, "the organization lets Retain's app through");
    assert.match(readiness, /^ {4}writes to the tenant: 0 \(\d+ Exchange cmdlets, \d+ Graph requests; counted at the emulators\)$/m);
  });

  it("verify --access as Retain's app: the mailbox in scope reached, the one outside refused, the EWS URL and the days left", () => {
    const verify = stepOutput(run.stdout, "verify --access");
    const command = /\$ retain-m365 verify --access --tenant-id \S+ --client-id \S+ --mailbox (\S+) --outside (\S+) /.exec(verify);
    assert.ok(command, verify);
    const [, inside, outside] = command;
    assert.ok(verify.includes(`\n    ✓ EWS for ${inside!} is reached as Retain's app (folder "Inbox")\n`), verify);
    assert.ok(verify.includes(`\n    ✓ EWS for ${outside!} (outside the scope) is refused (ErrorImpersonateUserDenied): the management scope holds\n`), verify);
    assert.match(verify, /^ {4}EWS URL to enter in Retain: https:\/\/127\.0\.0\.1:\d+\/EWS\/Exchange\.asmx$/m);
    assert.match(verify, /^ {4}EWS in Exchange Online ends for good on 2027-04-01 .* in \d+ days/m);
    assert.doesNotMatch(verify, /✗|^ {4}exit /m);
    const notReady = [...stepOutput(run.stdout, "readiness").matchAll(/^ {4}(?:mailbox-ews-off|frontline-licence) +(\S+): /gm)].map((m) => m[1]);
    assert.ok(!notReady.includes(inside), "verify --access checks a mailbox readiness found ready");
  });

  it("writes both CSVs into the given folder, the day's changes included", () => {
    const users = parseContractCsv(readFileSync(path.join(out, "exchangeuser.csv"), "utf8"));
    const groups = parseContractCsv(readFileSync(path.join(out, "exchangegroups.csv"), "utf8"));
    assert.ok(users.length > 300, `${users.length} rows`);
    assert.ok(groups.length > 20, `${groups.length} rows`);
    assert.ok(
      users.some((row) => row[2] === "new.hire@contoso.com"),
      "the hire of the day is in the users' file",
    );
    const leaver = /, (\S+@contoso\.com) leaves/.exec(run.stdout)?.[1];
    assert.ok(leaver, "the demo names the leaver");
    assert.equal(
      users.some((row) => row[2] === leaver),
      false,
      "the leaver is gone from the users' file",
    );
  });

  it("the nightly delta sync made only a few Graph requests, counted at the emulator", () => {
    const counted = /Graph requests: (\d+) for the first sync, (\d+) for the nightly delta/.exec(run.stdout);
    assert.ok(counted, run.stdout);
    assert.ok(Number(counted[2]) <= 5, `the delta sync made ${counted[2]} requests`);
  });

  it("leaves no process and no listening emulator behind", async () => {
    assert.deepEqual(await runningAfter(run.group, 1000), [], "a process of the demo still runs");
    const ports = [...run.stdout.matchAll(/https:\/\/127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1]));
    assert.ok(ports.length >= 2, "the demo names its emulators' addresses");
    for (const port of new Set(ports)) assert.ok(await refusesConnections(port), `port ${port} still listens`);
  });

  it("without openssl it runs the offline steps, skips the others saying why, and exits 0", () => {
    const noTools = newFolder("retain-demo-path-");
    const result = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "demo", "run.ts"), "--out", noTools], {
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: noTools },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /skipped adopt, readiness, sync, the delta sync, status and verify --access: openssl is missing/);
    assert.match(result.stdout, /\d+ to create\./);
    assert.match(result.stdout, /^ {4}ExecStart=/m);
  });

  it("stopped half-way, it takes the CLI it was running down with it", async () => {
    const group = await stopDemoMidway();
    assert.deepEqual(await runningAfter(group, 1000), [], "the CLI the demo started outlived it");
  });
});
