// `npm run demo [-- --out <dir>] [--keep]`: the real `retain-m365` CLI, run as an admin runs it, against
// loopback emulators of a tenant that already runs Microsoft 365. Same code as production; only the
// endpoints differ (the --graph-endpoint, --authority-host, --exchange-endpoint, --ews-endpoint and
// --cloudflare-endpoint options every real command also takes) and the TLS CA the CLI trusts. With
// --keep the emulators keep running after the steps, for the same commands run by hand (demo/keep.ts).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { constants } from "node:os";
import path from "node:path";
import { testTls } from "../emulators/tls";
import { parseDemoArguments, type DemoArguments } from "./arguments";
import { ENV_FILE, handCommandLine, sourceLine, writeEnvFile, type HandCommand } from "./keep";
import { accessCheckMailboxes, aDayOfChanges, deployRetain, RETAIN_APP_ID, startSampleTenant, TENANT_ID, type SampleTenant } from "./sample-tenant";

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "bin", "retain-m365.js");
const STACK = ["--stack", "contoso", "--stacks-dir", path.relative(process.cwd(), __dirname) || "."];
/** Where README's installation puts the Retain-server package's launcher; the unit is printed as it would be installed. */
const PACKAGED_LAUNCHER = "/opt/retain-m365-sync/bin/retain-m365";
const CHILD_TIMEOUT_MS = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const say = (text: string) => process.stdout.write(`${text}\n`);
const indent = (lines: string[]) => lines.map((line) => `    ${line}`).join("\n");

/** A folder as the admin would type it: relative when under the current one. */
const shown = (dir: string) => (path.relative(process.cwd(), dir).startsWith("..") ? dir : path.relative(process.cwd(), dir) || ".");

/** The admin's environment: nothing from this shell's Azure, Cloudflare or Retain settings leaks in. */
function adminEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AZURE|ARM|CLOUDFLARE|RETAIN)_/.test(key)));
  return { ...clean, ...extra };
}

const running = new Set<ChildProcess>();
/** Set while `--keep` waits: a stop signal then ends the wait (the emulators stop, exit 0) instead of the demo. */
let endKeep: (() => void) | undefined;
/**
 * However the demo ends (Ctrl-C, a kill, a closed pipe, a crash), no CLI it started outlives it; on
 * a signal or a closed pipe it also waits until they are gone, so none is left even as a zombie.
 * A signal may come twice (Ctrl-C reaches npm and the demo, and npm passes it on): the first counts.
 */
function stopChildrenWhenStopped(): void {
  const stopChildren = () => running.forEach((child) => child.kill("SIGKILL"));
  const stopThenExit = async (code: number) => {
    const alive = [...running].filter((child) => child.exitCode === null && child.signalCode === null);
    const gone = alive.map((child) => new Promise((resolve) => child.once("exit", resolve)));
    stopChildren();
    await Promise.all(gone);
    process.exit(code);
  };
  process.on("exit", stopChildren);
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (endKeep) return endKeep();
      if (!stopping) void stopThenExit(128 + constants.signals[signal]);
      stopping = true;
    });
  }
  // EPIPE: whoever read the output went away.
  process.stdout.on("error", () => void stopThenExit(1));
}

/** Runs `retain-m365 <args>` in a child process; its progress line reaches a terminal directly. */
function retainM365(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const terminal = process.stderr.isTTY === true;
    const child = spawn(process.execPath, [CLI, ...args], { cwd: process.cwd(), env, stdio: ["ignore", "pipe", terminal ? "inherit" : "pipe"] });
    running.add(child);
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      running.delete(child);
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Step {
  /** What the step shows, in one line. */
  title: string;
  args: string[];
  /** Loopback endpoints, left out of the echoed command. */
  endpoints?: string[];
  expectExit?: number;
  /** The part of stdout worth showing. */
  show?: (stdout: string) => string[];
}

async function step(env: NodeJS.ProcessEnv, { title, args, endpoints = [], expectExit = 0, show = (out) => out.trimEnd().split("\n") }: Step): Promise<Run> {
  say(`\n▶ ${title}`);
  say(`  $ retain-m365 ${args.join(" ")}${endpoints.length > 0 ? "   (+ the emulators' endpoints)" : ""}`);
  const run = await retainM365([...args, ...endpoints], env);
  if (run.stdout.trim()) say(indent(show(run.stdout)));
  if (run.stderr.trim()) say(indent(run.stderr.trimEnd().split("\n")));
  if (expectExit !== 0 && run.code === expectExit) say(`    exit ${expectExit}`);
  if (run.code !== expectExit) throw new Error(`retain-m365 ${args[0]} exited ${String(run.code)}, expected ${expectExit}`);
  return run;
}

const clip = (line: string) => (line.length > 150 ? `${line.slice(0, 149)}…` : line);
/** The plan's table cut to its first rows, then its summary. */
function planExcerpt(stdout: string): string[] {
  const lines = stdout.trimEnd().split("\n");
  const table = lines.filter((line) => line.startsWith("|"));
  const summary = lines.slice(lines.lastIndexOf(table.at(-1)!) + 1).filter((line) => line.trim());
  return [...table.slice(0, 8).map(clip), `… (${table.length - 8} more rows)`, ...summary.slice(0, 2)];
}

/** Runs the steps against the emulators; returns them as an admin runs them by hand (for --keep). */
async function withTenant(out: string, tenant: SampleTenant): Promise<HandCommand[]> {
  const { graph, cloudflare, directory, exchange, secrets } = tenant;
  const env = adminEnvironment({
    NODE_EXTRA_CA_CERTS: testTls().caFile,
    CLOUDFLARE_API_TOKEN: secrets.cloudflareToken,
    AZURE_CLIENT_ID: secrets.deployerId,
    AZURE_CLIENT_SECRET: secrets.deployerSecret,
    AZURE_AUTHORITY_HOST: graph.url,
    RETAIN_SYNC_CLIENT_SECRET: secrets.retainAppSecret,
  });
  const mail = directory.users.filter((user) => user.mail).length;
  const nested = [...directory.members.values()].flat().filter((id) => directory.groups.some((group) => group.id === id)).length;
  say(`Tenant contoso.com on loopback: ${directory.users.length} users (${mail} with mail), ${directory.groups.length} groups (${nested} nested in others),`);
  say(`  MX to a mail gateway, and the manual procedure's RetainWorker, admin and ApplicationImpersonation left behind.`);
  say(`  Entra ID + Graph + Exchange admin API + EWS: ${graph.url}   Cloudflare: ${cloudflare.url}`);

  const microsoft = ["--graph-endpoint", graph.url, "--authority-host", graph.url];
  const adoptArgs = ["adopt", ...STACK];
  const adopt = await step(env, {
    title: "adopt: reads (never writes) the zone, the directory and Exchange, and says what the first deploy will do; exit 5 = a decision is needed",
    args: adoptArgs,
    endpoints: ["--cloudflare-endpoint", cloudflare.url, "--exchange-endpoint", graph.url, ...microsoft],
    expectExit: 5,
  });
  const decision = /decide with (\S+?)\)/.exec(adopt.stdout)?.[1];
  if (decision) say(`    the decision it asks for: set ${decision} in the stack (keep: mail stays on the gateway; replace: Microsoft's MX), then pulumi up`);

  const deployed = deployRetain(tenant);
  say(
    `\n▶ pulumi up, replayed at the emulators with the deploy's own cmdlets: Retain's app gets Application EWS.AccessAsApp scoped to "${deployed.scopeGroup}" ` +
      `and a place on the EWS allow list; the admin puts ${deployed.department}'s ${deployed.inScope.length} mailboxes in the group`,
  );
  const commandsBefore = exchange.commands.length;
  const requestsBefore = graph.requests.length;
  const readinessArgs = ["readiness", ...STACK];
  await step(env, {
    title:
      "readiness: as the deploying identity, reads (never writes) whether Retain can reach every mailbox in scope through EWS; exit 6 = a mailbox Retain must archive is not reachable",
    args: readinessArgs,
    endpoints: ["--exchange-endpoint", graph.url, ...microsoft],
    expectExit: 6,
  });
  const cmdlets = exchange.commands.slice(commandsBefore);
  const graphRequests = graph.requests.slice(requestsBefore).filter((request) => !request.path.startsWith("/adminapi/"));
  const writes = cmdlets.filter((command) => !/^Get-/i.test(command.cmdlet)).length + graphRequests.filter((request) => request.method !== "GET").length;
  say(`    writes to the tenant: ${writes} (${cmdlets.length} Exchange cmdlets, ${graphRequests.length} Graph requests; counted at the emulators)`);

  const sync = ["sync", ...STACK, "--client-id", RETAIN_APP_ID, "--out", shown(out)];
  const full = graph.requests.length;
  await step(env, { title: `sync: the first run reads the whole directory and writes Retain's two CSVs into ${shown(out)}`, args: sync, endpoints: microsoft });
  const fullRequests = graph.requests.length - full;
  const guests = directory.users.filter((user) => user.mail && user.userType !== "Member").length;
  say(
    `    ${mail} users have mail; the ${guests} guests among them are left out: a guest's mailbox is in its own organization, not one Retain archives (docs/csv-format.md)`,
  );

  say(`\n▶ a day passes in the tenant: ${aDayOfChanges(directory)}`);
  const delta = graph.requests.length;
  await step(env, { title: "sync again (the nightly job): reads only the changes since the last run", args: sync, endpoints: microsoft });
  say(`    Graph requests: ${fullRequests} for the first sync, ${graph.requests.length - delta} for the nightly delta (counted at the emulator)`);

  const statusArgs = ["status", "--out", shown(out)];
  await step(env, { title: "status: is the nightly sync healthy? (reads the run record; no network)", args: statusArgs });

  const { inside, outside } = accessCheckMailboxes(tenant, deployed);
  const ewsEndpoint = graph.url;
  const verifyArgs = ["verify", "--access", "--tenant-id", TENANT_ID, "--client-id", RETAIN_APP_ID, "--mailbox", inside, "--outside", outside];
  await step(env, {
    title:
      "verify --access: on the Retain server, as Retain's app with the sync's credential, EWS must reach a mailbox in scope and refuse one outside; exit 3 = refused, or the scope does not hold",
    args: verifyArgs,
    endpoints: ["--ews-endpoint", ewsEndpoint, "--authority-host", graph.url],
  });
  say(`    (${ewsEndpoint} is the emulator: on a real tenant the URL is https://outlook.office365.com/EWS/Exchange.asmx, the cloud's default)`);

  // By hand, the login host comes from AZURE_AUTHORITY_HOST in demo.env, so no --authority-host.
  return [
    {
      args: adoptArgs,
      endpoints: [
        ["--cloudflare-endpoint", "cloudflare"],
        ["--exchange-endpoint", "exchange"],
        ["--graph-endpoint", "graph"],
      ],
    },
    {
      args: readinessArgs,
      endpoints: [
        ["--exchange-endpoint", "exchange"],
        ["--graph-endpoint", "graph"],
      ],
    },
    { args: sync, endpoints: [["--graph-endpoint", "graph"]] },
    { args: statusArgs, endpoints: [] },
    { args: verifyArgs, endpoints: [["--ews-endpoint", "ews"]] },
  ];
}

/**
 * `--keep`: writes demo.env, prints the commands to paste, and waits for Ctrl-C (SIGINT) or
 * SIGTERM; the caller then stops the emulators. Returns the env file's path.
 */
async function keepRunning(out: string, tenant: SampleTenant, commands: HandCommand[]): Promise<string> {
  const envFile = path.join(out, ENV_FILE);
  const sourced = sourceLine(shown(envFile));
  const stopped = new Promise<void>((resolve) => (endKeep = resolve));
  writeEnvFile(out, { caFile: testTls().caFile, microsoft: tenant.graph.url, cloudflare: tenant.cloudflare.url, secrets: tenant.secrets }, sourced);
  say(`\n▶ keep: the emulators keep running; ${shown(envFile)} (mode 0600) holds their addresses, their throwaway CA and credentials`);
  say("  In another shell, in this folder, paste these to run adopt, readiness, sync, status and verify --access by hand:\n");
  say([sourced, ...commands.map(handCommandLine)].join("\n"));
  say(`\nReady: the emulators run until Ctrl-C here (or SIGTERM); then they stop, ${shown(envFile)} goes and the CSVs stay.`);
  // endKeep stays set: the same signal again (npm passes Ctrl-C on) must not cut the emulators' stop short.
  await stopped;
  return envFile;
}

async function main({ out, keep }: DemoArguments): Promise<number> {
  const started = performance.now();
  mkdirSync(out, { recursive: true });
  // demo.env too: one a killed --keep left names emulators long gone.
  for (const name of ["exchangeuser.csv", "exchangegroups.csv", "backup", ENV_FILE]) rmSync(path.join(out, name), { recursive: true, force: true });
  say("Demo: the real retain-m365 CLI (bin/retain-m365.js), the same code path as production; only the endpoints differ:");
  say("loopback emulators of Entra ID, Microsoft Graph, Exchange Online's admin API and EWS, and Cloudflare, in this process.");

  const env = adminEnvironment({});
  await step(env, {
    title: "plan: the stack demo/Pulumi.contoso.yaml, validated and planned offline (Pulumi's mock runtime: no credentials, no network)",
    args: ["plan", ...STACK],
    show: planExcerpt,
  });

  const haveOpenssl = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
  let tenant: SampleTenant | undefined;
  let envFile: string | undefined;
  try {
    let commands: HandCommand[] = [];
    if (!haveOpenssl) {
      say(
        "\n▶ skipped adopt, readiness, sync, the delta sync, status and verify --access: openssl is missing (it makes the emulators' throwaway TLS certificate; `bash .ci/run` installs it)",
      );
      if (keep) say("  --keep: no emulators to keep running without openssl");
    } else {
      tenant = await startSampleTenant();
      commands = await withTenant(out, tenant);
    }

    await step(env, {
      title: "schedule --systemd: the nightly job for the Retain server, as the package installs it (printed, not installed)",
      args: ["schedule", "--systemd", ...STACK, "--client-id", RETAIN_APP_ID, "--launcher", PACKAGED_LAUNCHER],
    });
    const csvs = haveOpenssl ? ` The CSVs are in ${shown(out)}.` : "";
    const kept = keep && tenant !== undefined;
    say(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s${kept ? "" : "; nothing left running"}.${csvs}`);
    say("On a real tenant: the same commands without the endpoints, after `pulumi up --stack <tenant>` (README, docs/runbook.md).");
    if (kept) envFile = await keepRunning(out, tenant!, commands);
  } finally {
    await tenant?.close();
    if (envFile) rmSync(envFile, { force: true });
  }
  if (envFile) say(`Stopped: the emulators are closed and ${shown(envFile)} is removed; the CSVs stay in ${shown(out)}.`);
  return 0;
}

stopChildrenWhenStopped();
const parsed = parseDemoArguments(process.argv.slice(2));
if ("exit" in parsed) {
  if (parsed.stdout) process.stdout.write(parsed.stdout);
  if (parsed.stderr) process.stderr.write(parsed.stderr);
  process.exitCode = parsed.exit;
} else {
  main(parsed.run).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
