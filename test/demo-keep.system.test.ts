import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, runProgramAsync } from "./support/cli";
import { refusesConnections } from "./support/listener";

// `npm run demo -- --keep`: the steps, then the emulators kept running for the commands README's
// "Exploring past the demo" shows, pasted into another shell; Ctrl-C (or SIGTERM) stops them, exit 0.

interface KeptDemo {
  child: ChildProcess;
  /** Its process group, its own (spawned detached): every process it started is in it. */
  group: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once the demo printed its "Ready:" line; rejects if it ended before. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const folders: string[] = [];
const newFolder = () => {
  folders.push(mkdtempSync(path.join(tmpdir(), "retain-demo-keep-")));
  return folders.at(-1)!;
};

function startKept(command: string, args: string[]): KeptDemo {
  const child = spawn(command, args, { cwd: REPO_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (/^Ready: /m.test(stdout)) resolve();
    });
    exited.then(({ code }) => reject(new Error(`the demo ended (exit ${String(code)}) before it was ready:\n${stdout}\n${stderr}`)), reject);
  });
  return { child, group: child.pid!, stdout: () => stdout, stderr: () => stderr, ready, exited };
}

/** The lines the demo prints for pasting: loading demo.env, then one `npx retain-m365 …` per command. */
function pastedLines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line.startsWith("set -a; . ") || line.startsWith("npx retain-m365 "));
}

/** README's section "Exploring past the demo": the lines of its first sh block. */
function readmeLines(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const section = /^#+ Exploring past the demo$/m.exec(readme)?.index;
  assert.ok(section !== undefined, 'README has no section "Exploring past the demo"');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(section))?.[1];
  assert.ok(block, 'README\'s "Exploring past the demo" shows no sh block');
  return block.trimEnd().split("\n");
}

/** demo.env's variables (NAME=value, the value as is or single-quoted). */
function envFileValues(file: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const match of readFileSync(file, "utf8").matchAll(/^([A-Z_]+)=(.*)$/gm)) values[match[1]!] = match[2]!.replace(/^'(.*)'$/, "$1");
  return values;
}

/** A shell of the machine's user: none of this test's Azure, Cloudflare, Retain or CA settings, Node 22 first on PATH. */
function userShellEnvironment(): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AZURE|ARM|CLOUDFLARE|RETAIN)_|^NODE_EXTRA_CA_CERTS$/.test(key)));
  return { ...clean, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };
}

/** Runs one pasted line in bash after the line that loads demo.env, as an admin does in a second shell. */
const pasted = (load: string, command: string) => runProgramAsync("bash", ["-c", `${load}\n${command}`], { cwd: REPO_ROOT, env: userShellEnvironment() });

/** Whether any process of the group still exists (a zombie included): kill(-group, 0) throws ESRCH once none does. */
function groupExists(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, "ESRCH");
    return false;
  }
}

/**
 * Whether a process of the group is still there once the group has had `withinMs` to end: the demo's
 * helpers (tsx's esbuild service) end when its stdin closes, a moment after the demo itself.
 */
async function groupOutlives(group: number, withinMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (groupExists(group)) {
    if (Date.now() > deadline) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

/** The demo's own process in a group (npm → sh → node demo/run.ts), from /proc. */
function demoProcessIn(group: number): number {
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let stat: string, argv: string[];
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // ended meanwhile
    }
    const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    if (pgrp === group && path.basename(argv[0]!) === "node" && argv.includes(path.join("demo", "run.ts"))) return Number(pid);
  }
  throw new Error(`no node demo/run.ts in process group ${group}`);
}

const ports = (values: Record<string, string>) => [values.RETAIN_DEMO_GRAPH!, values.RETAIN_DEMO_CLOUDFLARE!].map((url) => Number(new URL(url).port));

describe("npm run demo -- --keep", () => {
  const out = newFolder();
  const ctrlCOut = newFolder();
  const envFile = path.join(out, "demo.env");
  let viaNpm: KeptDemo;
  let direct: KeptDemo;

  before(async () => {
    // As README runs it, and the command npm runs, which a terminal's Ctrl-C stops below.
    viaNpm = startKept("npm", ["run", "--silent", "demo", "--", "--keep", "--out", out]);
    direct = startKept(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "demo", "run.ts"), "--out", ctrlCOut, "--keep"]);
    await Promise.all([viaNpm.ready, direct.ready]);
  });
  after(() => {
    for (const demo of [viaNpm, direct]) if (demo && groupExists(demo.group)) process.kill(-demo.group, "SIGKILL");
    folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));
  });

  it("writes demo.env for the owner only, saying at its top that its secrets are the emulators' throwaway values, and prints none of them", () => {
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    const text = readFileSync(envFile, "utf8");
    const head = text.slice(0, text.indexOf("\n\n"));
    assert.match(head, /throwaway/);
    assert.match(head, /never a real one/);
    const values = envFileValues(envFile);
    for (const name of [
      "NODE_EXTRA_CA_CERTS",
      "AZURE_CLIENT_ID",
      "AZURE_CLIENT_SECRET",
      "AZURE_AUTHORITY_HOST",
      "CLOUDFLARE_API_TOKEN",
      "RETAIN_SYNC_CLIENT_SECRET",
      "RETAIN_DEMO_GRAPH",
      "RETAIN_DEMO_EXCHANGE",
      "RETAIN_DEMO_EWS",
      "RETAIN_DEMO_CLOUDFLARE",
    ])
      assert.ok(values[name], `demo.env sets ${name}`);
    assert.ok(existsSync(values.NODE_EXTRA_CA_CERTS!), "the emulators' CA is there while they run");
    for (const secret of ["AZURE_CLIENT_SECRET", "CLOUDFLARE_API_TOKEN", "RETAIN_SYNC_CLIENT_SECRET"]) {
      assert.ok(!viaNpm.stdout().includes(values[secret]!) && !viaNpm.stderr().includes(values[secret]!), `the demo printed ${secret}'s value`);
    }
  });

  it('prints the lines README\'s "Exploring past the demo" shows, byte for byte (demo-out being the --out folder)', () => {
    const shown = readmeLines().map((line) => line.replace(/demo-out/g, out));
    assert.deepEqual(pastedLines(viaNpm.stdout()), shown);
  });

  it("the printed commands, pasted into a shell after loading demo.env, run against the kept emulators with their documented exits", async () => {
    const [load, ...commands] = pastedLines(viaNpm.stdout());
    assert.equal(load, `set -a; . ${envFile}; set +a`);
    const byName = (name: string) => {
      const found = commands.find((command) => command.startsWith(`npx retain-m365 ${name} `));
      assert.ok(found, `the demo prints no ${name} command`);
      return found;
    };
    const adopt = await pasted(load!, byName("adopt"));
    assert.equal(adopt.code, 5, `${adopt.stdout}\n${adopt.stderr}`);
    assert.match(adopt.stdout, /decide with retain-m365:domains\[0\]\.onExisting\.mx/);
    const readiness = await pasted(load!, byName("readiness"));
    assert.equal(readiness.code, 6, `${readiness.stdout}\n${readiness.stderr}`);
    assert.match(readiness.stdout, /^mailboxes: \d+ in scope, \d+ ready, 2 not ready/m);
    const sync = await pasted(load!, byName("sync"));
    assert.equal(sync.code, 0, `${sync.stdout}\n${sync.stderr}`);
    assert.match(sync.stdout, new RegExp(`^synced \\d+ users and \\d+ groups .* into ${out} .*\\(changes only\\)`, "m"));
    const status = await pasted(load!, byName("status"));
    assert.equal(status.code, 0, `${status.stdout}\n${status.stderr}`);
    assert.match(status.stdout, /^healthy: /m);
    const verify = await pasted(load!, byName("verify --access"));
    assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
    assert.equal(verify.stdout.match(/^✓ /gm)?.length, 2, verify.stdout);
  });

  it("SIGTERM to the demo (a kill, a service manager): it stops the emulators and exits 0, so npm does; no process left, demo.env gone, the CSVs kept", async () => {
    const emulators = ports(envFileValues(envFile));
    process.kill(demoProcessIn(viaNpm.group), "SIGTERM");
    const { code, signal } = await viaNpm.exited;
    assert.equal(code, 0, `${String(signal)}\n${viaNpm.stdout()}\n${viaNpm.stderr()}`);
    assert.equal(await groupOutlives(viaNpm.group), false, "a process of the demo outlived it");
    for (const port of emulators) assert.ok(await refusesConnections(port), `port ${port} still listens`);
    assert.match(viaNpm.stdout(), /^Stopped: the emulators are closed/m);
    assert.equal(existsSync(envFile), false, "demo.env names emulators that are gone");
    for (const csv of ["exchangeuser.csv", "exchangegroups.csv"]) assert.ok(existsSync(path.join(out, csv)), `${csv} is kept`);
  });

  // Through npm, a Ctrl-C also reaches npm's script shell, and dash (Debian's and Ubuntu's sh) ends
  // 130 after its child whatever the child's exit, so npm's own exit there is the shell's: the
  // demo's is asserted on the command npm runs.
  it("Ctrl-C (SIGINT to its process group, as a terminal sends it): exit 0, the emulators closed, no process left", async () => {
    const emulators = ports(envFileValues(path.join(ctrlCOut, "demo.env")));
    process.kill(-direct.group, "SIGINT");
    const { code, signal } = await direct.exited;
    assert.equal(code, 0, `${String(signal)}\n${direct.stdout()}\n${direct.stderr()}`);
    assert.equal(await groupOutlives(direct.group), false, "a process of the demo outlived it");
    for (const port of emulators) assert.ok(await refusesConnections(port), `port ${port} still listens`);
    assert.equal(existsSync(path.join(ctrlCOut, "demo.env")), false);
  });
});

describe("npm run demo's arguments", () => {
  const demo = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "demo", "run.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });

  it("--help names --out and --keep, runs nothing and exits 0", () => {
    const result = demo("--help");
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /--out <dir>/);
    assert.match(result.stdout, /--keep /);
    assert.doesNotMatch(result.stdout, /▶/);
  });

  it("an unknown argument: one sentence naming it, exit 2, nothing run", () => {
    const result = demo("--kept");
    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^demo: "--kept" is not an argument of the demo; [^\n]*--keep[^\n]*\.\n$/);
  });
});
