// `npm run bench -- readiness`: `retain-m365 readiness` over 100,000 mailboxes against the loopback
// Entra, Graph and Exchange, 20 ms latency per request as the sync bench has. Prints figures;
// asserts nothing (targets: ≤ 60 s and ≤ 300 requests).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { entraRoutes } from "../emulators/entra-readiness";
import { exchangeRoutes } from "../emulators/exchange";
import { startGraphEmulator, type GraphEmulator } from "../emulators/graph";
import { readinessTenant, type ReadinessTenant } from "../emulators/readiness-tenant";
import { testTls } from "../emulators/tls";
import { runCaptured, type Finished } from "./child-process";

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "bin", "retain-m365.js");
const TENANT = "00000000-0000-4000-8000-000000000001";
const DEPLOYER = "00000000-0000-4000-8000-0000000000cc";
const SECRET = "bench-deployer-secret";
const LATENCY_MS = 20;
const MAILBOXES = 100_000;

interface Run {
  seconds: number;
  exchange: number;
  graph: number;
  tokens: number;
  code: number | null;
  inScope: number;
  notReady: number;
}

/** The example stack (tenant, app name, scope group); when `scoped` is false, the decision to reach every mailbox instead. */
function stackFile(scoped: boolean): string {
  const example = readFileSync(path.join(ROOT, "stacks", "Pulumi.example.yaml"), "utf8");
  const file = path.join(mkdtempSync(path.join(tmpdir(), "bench-readiness-")), "Pulumi.example.yaml");
  writeFileSync(file, scoped ? example : example.replace(/^(\s+)scopeGroup:.*\n/m, "$1allMailboxes: true\n"));
  return file;
}

function readiness(file: string, emulator: GraphEmulator): Promise<Finished> {
  const endpoints = ["--exchange-endpoint", emulator.url, "--graph-endpoint", emulator.url, "--authority-host", emulator.url];
  return runCaptured(process.execPath, [CLI, "readiness", "--config-file", file, "--json", ...endpoints], {
    cwd: ROOT,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: testTls().caFile, AZURE_CLIENT_ID: DEPLOYER, AZURE_CLIENT_SECRET: SECRET, AZURE_AUTHORITY_HOST: emulator.url },
  });
}

async function measure(scoped: boolean): Promise<Run> {
  const tenant: ReadinessTenant = readinessTenant({
    tenantId: TENANT,
    mailboxes: MAILBOXES,
    scopeGroup: scoped ? "Retain Archived Users" : undefined,
    appDisplayName: "Retain Archiving",
    ewsOffEvery: 997,
    frontlineEvery: 1009,
    mailUsers: scoped ? 25 : 0,
  });
  tenant.entra.latencyMs = LATENCY_MS;
  const emulator = await startGraphEmulator({
    token: "bench-readiness-token",
    clients: { [DEPLOYER]: SECRET },
    routes: [entraRoutes(tenant.entra, () => tenant.exchange)],
    adminApi: (request, e) => {
      const answer = exchangeRoutes(tenant.exchange)(request, e);
      return answer && { ...answer, delayMs: LATENCY_MS };
    },
  });
  try {
    const started = performance.now();
    const result = await readiness(stackFile(scoped), emulator);
    const seconds = (performance.now() - started) / 1000;
    if (result.code !== 0 && result.code !== 6) throw new Error(`readiness exited ${String(result.code)}: ${result.stderr}`);
    const report = JSON.parse(result.stdout) as { mailboxes: { inScope: number; notReady: number } };
    return {
      seconds,
      exchange: tenant.exchange.commands.length,
      graph: emulator.requests.filter((r) => !r.path.startsWith("/adminapi/")).length,
      tokens: emulator.tokenServiceRequests,
      code: result.code,
      inScope: report.mailboxes.inScope,
      notReady: report.mailboxes.notReady,
    };
  } finally {
    await emulator.close();
  }
}

const row = (name: string, r: Run) =>
  `| ${name} | ${r.seconds.toFixed(1)} s | ${r.exchange} | ${r.graph} | ${r.tokens} | ${r.exchange + r.graph + r.tokens} | ${r.inScope} in scope, ${r.notReady} not ready (exit ${String(r.code)}) |`;

export async function benchReadiness(): Promise<void> {
  console.log(`\n## readiness: ${MAILBOXES.toLocaleString("en")} mailboxes, ${LATENCY_MS} ms latency per request\n`);
  const scoped = await measure(true);
  const everyone = await measure(false);
  console.log("| run | wall time | Exchange requests | Graph requests | token service requests | all requests | result |\n|---|---|---|---|---|---|---|");
  console.log(`${row("scope group of 100,000 members", scoped)}\n${row("no scope group: every user mailbox", everyone)}`);
  console.log("\ntargets: ≤ 60 s and ≤ 300 requests for 100,000 mailboxes");
}
