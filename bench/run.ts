// `npm run bench`: the directory sync against the loopback Graph emulator with 20 ms latency and
// Microsoft's resource-unit throttle on. Prints figures; asserts nothing (targets and figures are in docs/bench.md).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { directoryRoutes, resourceUnitLimit } from "../emulators/directory";
import { putUser, syntheticTenant, type DirectoryTenant } from "../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../emulators/graph";
import { testTls } from "../emulators/tls";
import { syncRuntimeEnvironment } from "../core/server-package";
import { runCaptured, syncArguments, type Finished } from "./child-process";
import { benchPackage } from "./package";
import { benchPlans } from "./plan";
import { benchReadiness } from "./readiness";
import { buildAddressBook } from "../sync/address-book";
import { csvText, GROUPS_FILE, USERS_FILE } from "../sync/csv";
import { Directory } from "../sync/directory";
import type { DirectoryGroup, DirectoryUser } from "../sync/model";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "bench-secret";
const ROOT = path.resolve(__dirname, "..");
const only = process.argv.slice(2);

interface Run {
  seconds: number;
  /** Graph requests and token service requests. */
  requests: number;
  operations: number;
  throttled: number;
  resourceUnits: number;
  maxRssMiB?: number;
  output: string;
}

let tenant: DirectoryTenant;
let emulator: GraphEmulator;

function child(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return runCaptured(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: testTls().caFile, RETAIN_SYNC_CLIENT_SECRET: SECRET, ...env },
  });
}

async function measure(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const before = { ...tenant.counters, tokenService: emulator.tokenServiceRequests };
  tenant.window = [];
  const started = performance.now();
  const result = await child(args, env);
  const seconds = (performance.now() - started) / 1000;
  if (result.code !== 0) throw new Error(`${args.join(" ")} exited ${String(result.code)}: ${result.stderr}`);
  const rss = /BENCH maxRssKiB=(\d+)/.exec(result.stderr)?.[1];
  return {
    seconds,
    requests: tenant.counters.requests - before.requests + emulator.tokenServiceRequests - before.tokenService,
    operations: tenant.counters.operations - before.operations,
    throttled: tenant.counters.throttled - before.throttled,
    resourceUnits: tenant.counters.resourceUnits - before.resourceUnits,
    maxRssMiB: rss ? Number(rss) / 1024 : undefined,
    output: result.stdout.trim(),
  };
}

// The sync runs as the nightly job starts it: with the memory settings its systemd unit and the package's launcher give.
const AS_SCHEDULED = syncRuntimeEnvironment();
const sync = (out: string, extra: string[] = []) =>
  measure([path.join(ROOT, "bench", "measure-sync.js"), ...syncArguments(TENANT, APP, out, emulator.url), ...extra], AS_SCHEDULED);

function useTenant(seed: number, size: { users: number; groups: number; memberships: number }): void {
  tenant = syntheticTenant(seed, size);
  tenant.throttle = true;
  tenant.latencyMs = 20;
}

/** RU the standard approach needs: $select + $top=999 lists (1 RU a page), members of each group (2 RU a page). */
function throttlingFloorSeconds(): { resourceUnits: number; seconds: number } {
  const pages = (n: number) => Math.max(1, Math.ceil(n / 999));
  const mailGroups = tenant.groups.filter((g) => g.mailEnabled === true);
  const resourceUnits =
    pages(tenant.users.length) + pages(mailGroups.length) + mailGroups.reduce((sum, g) => sum + 2 * pages(tenant.members.get(g.id)?.length ?? 0), 0);
  return { resourceUnits, seconds: resourceUnits / (resourceUnitLimit(tenant.users.length) / 10) };
}

const row = (name: string, r: Run) =>
  `| ${name} | ${r.seconds.toFixed(1)} s | ${r.requests} | ${r.operations} (${r.throttled} answered 429) | ${r.resourceUnits} | ${r.maxRssMiB ? `${r.maxRssMiB.toFixed(0)} MiB` : "—"} |`;
const HEADER = "| run | wall time | HTTP requests (token service included) | Graph operations | RU spent | peak RSS |\n|---|---|---|---|---|---|";

/** SHA-256 of both files as the contract renders the emulated tenant (what any correct sync writes). */
function expectedDigest(): string {
  const groups = tenant.groups.filter((g) => g.mailEnabled === true) as unknown as DirectoryGroup[];
  const book = buildAddressBook(
    Directory.of({ users: tenant.users as unknown as DirectoryUser[], groups, members: new Map(groups.map((g) => [g.id, tenant.members.get(g.id) ?? []])) }),
  );
  const hash = createHash("sha256");
  for (const table of [book.users, book.groups]) for (const piece of csvText(table.columns, table.rows())) hash.update(piece, "utf8");
  return hash.digest("hex");
}

function writtenDigest(out: string): string {
  const hash = createHash("sha256");
  for (const file of [USERS_FILE, GROUPS_FILE]) hash.update(readFileSync(path.join(out, file)));
  return hash.digest("hex");
}

async function main(): Promise<void> {
  emulator = await startGraphEmulator({ token: "bench-token", clients: { [APP]: SECRET }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
  try {
    if (only.length === 0 || only.includes("a")) {
      useTenant(1, { users: 10_000, groups: 2_000, memberships: 20_000 });
      console.log("\n## (a) 10,000 users / 2,000 groups: this sync vs a naive baseline (same Graph client)\n");
      const ours = await sync(mkdtempSync(path.join(tmpdir(), "bench-a-")), ["--full"]);
      const naive = await measure([
        "--import",
        "tsx",
        path.join(ROOT, "bench", "naive-sync.ts"),
        TENANT,
        APP,
        emulator.url,
        mkdtempSync(path.join(tmpdir(), "bench-naive-")),
      ]);
      console.log(`${HEADER}\n${row("retain-m365 sync", ours)}\n${row("naive baseline", naive)}`);
      console.log(`\nspeed-up: ${(naive.seconds / ours.seconds).toFixed(1)}× (target ≥ 10×)`);
    }
    if (only.length === 0 || only.includes("b") || only.includes("c")) {
      useTenant(2, { users: 100_000, groups: 20_000, memberships: 400_000 });
      const out = mkdtempSync(path.join(tmpdir(), "bench-b-"));
      console.log("\n## (b) 100,000 users / 20,000 groups / 400,000 memberships\n");
      const big = await sync(out, ["--full"]);
      const floor = throttlingFloorSeconds();
      console.log(`${HEADER}\n${row("retain-m365 sync", big)}`);
      console.log(
        `\nthrottling floor: ${floor.resourceUnits} RU ÷ ${resourceUnitLimit(tenant.users.length) / 10} RU/s = ${floor.seconds.toFixed(1)} s; ` +
          `wall time is ${(big.seconds / floor.seconds).toFixed(2)}× the floor (target ≤ 1.15×)`,
      );
      console.log(`429s: ${big.throttled} of ${big.operations} Graph operations = ${((100 * big.throttled) / big.operations).toFixed(2)} % (target ≤ 1 %)`);
      console.log(
        `output: ${writtenDigest(out) === expectedDigest() ? "byte-identical to the contract's rendering of the tenant" : "DIFFERS from the contract's rendering of the tenant"}`,
      );
      console.log(`peak RSS: ${big.maxRssMiB?.toFixed(0)} MiB = ${(((big.maxRssMiB ?? 0) * 1048576) / 1e6).toFixed(0)} MB (target ≤ 150 MB)`);

      console.log("\n## (c) re-syncs of the same 100,000-user tenant\n");
      const unchanged = await sync(out);
      for (let i = 0; i < 100; i++) {
        const user = tenant.users[i * 997]!;
        putUser(tenant, { ...user, displayName: `${String(user.displayName)} (renamed)` });
      }
      const changed = await sync(out);
      console.log(`${HEADER}\n${row("unchanged", unchanged)}\n${row("after 100 user changes", changed)}`);
      console.log(
        `\nrequests: ${unchanged.requests} unchanged (target ≤ 4), ${changed.requests} after 100 changes (target ≤ 12); unchanged wall ${unchanged.seconds.toFixed(1)} s (target ≤ 5 s)`,
      );
      console.log(
        `output after the changes: ${writtenDigest(out) === expectedDigest() ? "byte-identical to the contract's rendering of the tenant" : "DIFFERS from the contract's rendering of the tenant"}`,
      );
    }
    if (only.length === 0 || only.includes("d")) await benchPlans();
  } finally {
    await emulator.close();
  }
  if (only.length === 0 || only.includes("package")) await benchPackage();
  if (only.length === 0 || only.includes("readiness")) await benchReadiness();
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exitCode = 1;
});
