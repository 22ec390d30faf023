import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runMain, type MainResult } from "../support/contract";
import { renderMetrics } from "../../sync/run-record";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant, type DirectoryTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "health-secret-value-never-recorded";
const WRONG_SECRET = "health-wrong-secret-never-recorded";
const METRIC_NAMES = [
  "retain_m365_sync_last_run_timestamp_seconds",
  "retain_m365_sync_last_success_timestamp_seconds",
  "retain_m365_sync_last_exit_code",
  "retain_m365_sync_duration_seconds",
  "retain_m365_sync_users",
  "retain_m365_sync_groups",
];

let emulator: GraphEmulator;
let restoreCas: () => void;
let tenant: DirectoryTenant;

const user = (id: string, mail: string) => ({
  id,
  displayName: id,
  mail,
  mailNickname: id,
  userPrincipalName: mail,
  proxyAddresses: [`SMTP:${mail}`],
  userType: "Member",
  accountEnabled: true,
});

before(async () => {
  tenant = directoryTenant({
    users: [user("u-1", "ann@contoso.com"), user("u-2", "bob@contoso.com")],
    groups: [{ id: "g-1", displayName: "All", mail: "all@contoso.com", mailNickname: "all", proxyAddresses: ["SMTP:all@contoso.com"], mailEnabled: true }],
    members: new Map([["g-1", ["u-1"]]]),
  });
  emulator = await startGraphEmulator({ token: "health-token", clients: { [APP]: SECRET }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
  restoreCas = trustTestCa();
});
after(async () => {
  restoreCas();
  await emulator.close();
});

const newOut = () => mkdtempSync(path.join(tmpdir(), "retain-health-"));
function sync(out: string, extra: string[] = [], secret = SECRET): Promise<MainResult> {
  return runMain(
    ["sync", "--tenant-id", TENANT, "--client-id", APP, "--out", out, "--graph-endpoint", emulator.url, "--authority-host", emulator.url, "--full", ...extra],
    {
      env: { RETAIN_SYNC_CLIENT_SECRET: secret },
    },
  );
}
const status = (args: string[]) => runMain(["status", ...args]);
const recordFile = (out: string) => path.join(out, "backup", "state", "last-run.json");
const readRecord = (out: string) => JSON.parse(readFileSync(recordFile(out), "utf8")) as Record<string, unknown>;
function writeRecord(out: string, record: Record<string, unknown>): void {
  mkdirSync(path.dirname(recordFile(out)), { recursive: true });
  writeFileSync(recordFile(out), JSON.stringify(record));
}
interface StatusJson {
  healthy: boolean;
  problems: string[];
  lastRun: { at: string; ok: boolean; exitCode: number; users?: number; groups?: number; message?: string } | null;
  lastSuccessAt: string | null;
  credential: { expiresAt: string | null; thumbprint?: string };
}
async function statusJson(out: string, extra: string[] = []): Promise<{ code: number | null; report: StatusJson }> {
  const result = await status(["--out", out, "--json", ...extra]);
  return { code: result.code, report: JSON.parse(result.stdout) as StatusJson };
}

/** Parses node_exporter's textfile format strictly: every sample has its HELP and TYPE lines; name → value. */
function parseMetrics(text: string): Map<string, number> {
  assert.ok(text.endsWith("\n"), "the file ends with a newline");
  const samples = new Map<string, number>();
  const described = new Set<string>();
  for (const line of text.trimEnd().split("\n")) {
    const comment = /^# (HELP|TYPE) (\w+) (.+)$/.exec(line);
    if (comment) {
      if (comment[1] === "TYPE") assert.equal(comment[3], "gauge");
      described.add(`${comment[1]} ${comment[2]}`);
      continue;
    }
    const sample = /^(\w+)(?:\{thumbprint="[0-9A-F]{40}"\})? (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const name = sample[1] as string;
    assert.ok(described.has(`HELP ${name}`) && described.has(`TYPE ${name}`), `${name} lacks HELP or TYPE`);
    samples.set(name, Number(sample[2]));
  }
  return samples;
}

describe("sync records each run; status and the metrics file tell its health", () => {
  const out = newOut();
  const metrics = path.join(mkdtempSync(path.join(tmpdir(), "retain-textfile-")), "retain-m365.prom");

  it("after a success: the record, metrics with the run's values, status healthy (exit 0)", async () => {
    const before = Date.now() / 1000;
    const result = await sync(out, ["--metrics-file", metrics]);
    assert.equal(result.code, 0, result.stderr);
    const record = readRecord(out);
    assert.equal(record.ok, true);
    assert.equal(record.exitCode, 0);
    assert.equal(record.users, 2);
    assert.equal(record.groups, 1);
    assert.equal(record.lastSuccessAt, record.at);
    assert.equal(typeof record.durationMs, "number");
    const values = parseMetrics(readFileSync(metrics, "utf8"));
    assert.deepEqual([...values.keys()], METRIC_NAMES, "no credential expiry when it is not known");
    assert.equal(values.get("retain_m365_sync_last_exit_code"), 0);
    assert.equal(values.get("retain_m365_sync_users"), 2);
    assert.equal(values.get("retain_m365_sync_groups"), 1);
    assert.equal(values.get("retain_m365_sync_last_success_timestamp_seconds"), Date.parse(record.at as string) / 1000);
    assert.ok((values.get("retain_m365_sync_last_run_timestamp_seconds") as number) >= before);
    assert.ok((values.get("retain_m365_sync_duration_seconds") as number) > 0);

    const { code, report } = await statusJson(out);
    assert.equal(code, 0);
    assert.deepEqual(report, {
      healthy: true,
      problems: [],
      lastRun: { at: record.at, ok: true, exitCode: 0, users: 2, groups: 1 },
      lastSuccessAt: record.at,
      credential: { expiresAt: null },
    });
    const text = await status(["--out", out]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^healthy: the last run succeeded at \S+ \(2 users, 1 groups\)\n$/);
  });

  it("after a failure: the CSVs untouched, lastSuccessAt kept, exit code in the metrics, status unhealthy (exit 6); no secret anywhere", async () => {
    const previous = readRecord(out);
    const csvs = ["exchangeuser.csv", "exchangegroups.csv"].map((file) => readFileSync(path.join(out, file)));
    const result = await sync(out, ["--metrics-file", metrics], WRONG_SECRET);
    assert.equal(result.code, 3, result.stderr);
    assert.deepEqual(
      ["exchangeuser.csv", "exchangegroups.csv"].map((file) => readFileSync(path.join(out, file))),
      csvs,
    );
    const record = readRecord(out);
    assert.equal(record.ok, false);
    assert.equal(record.exitCode, 3);
    assert.equal(record.lastSuccessAt, previous.at);
    assert.equal(record.users, undefined);
    assert.match(record.message as string, /^\S.*[^\n]$/);
    const metricsText = readFileSync(metrics, "utf8");
    const values = parseMetrics(metricsText);
    assert.equal(values.get("retain_m365_sync_last_exit_code"), 3);
    assert.equal(values.get("retain_m365_sync_last_success_timestamp_seconds"), Date.parse(previous.at as string) / 1000);
    assert.equal(values.get("retain_m365_sync_last_run_timestamp_seconds"), Date.parse(record.at as string) / 1000);
    assert.equal(values.get("retain_m365_sync_users"), 2, "the rows of the files Retain still reads");
    assert.equal(values.get("retain_m365_sync_groups"), 1);
    for (const text of [readFileSync(recordFile(out), "utf8"), metricsText]) {
      assert.ok(!text.includes(SECRET) && !text.includes(WRONG_SECRET));
    }

    const { code, report } = await statusJson(out);
    assert.equal(code, 6);
    assert.equal(report.healthy, false);
    assert.equal(report.lastSuccessAt, previous.at);
    assert.deepEqual(report.lastRun && [report.lastRun.ok, report.lastRun.exitCode], [false, 3]);
    assert.equal(report.problems.length, 1);
    assert.match(report.problems[0] as string, /^the last run, at \S+, failed with exit code 3/);
    const text = await status(["--out", out]);
    assert.equal(text.code, 6);
    assert.match(text.stdout, /^unhealthy: the last run, at \S+, failed with exit code 3/);
    assert.match(text.stderr, /^retain-m365: the nightly sync of .* is unhealthy \(1 problem\)\n$/);
  });

  it("a run refused before it gets past the argument checks records nothing", async () => {
    const before = readFileSync(recordFile(out), "utf8");
    const result = await runMain(["sync", "--tenant-id", TENANT, "--client-id", "not-a-guid", "--out", out], { env: { RETAIN_SYNC_CLIENT_SECRET: SECRET } });
    assert.equal(result.code, 2);
    assert.equal(readFileSync(recordFile(out), "utf8"), before);
  });
});

describe("status: each reason the nightly sync is unhealthy", () => {
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
  let out: string;
  before(async () => {
    out = newOut();
    assert.equal((await sync(out)).code, 0);
  });
  const recordWith = (fields: Record<string, unknown>) =>
    writeRecord(out, { at: hoursAgo(1), ok: true, exitCode: 0, durationMs: 900, users: 2, groups: 1, lastSuccessAt: hoursAgo(1), ...fields });

  it("stale: no success within --max-age-hours (default 26)", async () => {
    recordWith({ at: hoursAgo(30), lastSuccessAt: hoursAgo(30) });
    const stale = await statusJson(out);
    assert.equal(stale.code, 6);
    assert.deepEqual(stale.report.problems.length, 1);
    assert.match(stale.report.problems[0] as string, /^the last successful run was at \S+, 30\.0 hours ago \(more than --max-age-hours 26\)$/);
    assert.equal((await statusJson(out, ["--max-age-hours", "48"])).code, 0);
  });

  it("status and the credential metric spell a certificate's thumbprint as Entra does, and take nothing else from the record", async () => {
    const expiresAt = "2027-01-01T00:00:00.000Z";
    const withThumbprint = (thumbprint: string) => ({
      at: hoursAgo(1),
      ok: true,
      exitCode: 0,
      durationMs: 900,
      lastSuccessAt: hoursAgo(1),
      credential: { type: "certificate", thumbprint, expiresAt },
    });
    const metricLine = (thumbprint: string) =>
      renderMetrics(withThumbprint(thumbprint), out)
        .split("\n")
        .find((line) => line.startsWith("retain_m365_credential_expiry_timestamp_seconds"));
    assert.equal(metricLine("ab".repeat(20)), `retain_m365_credential_expiry_timestamp_seconds{thumbprint="${"AB".repeat(20)}"} 1798761600`);
    const hostile = 'x"} 1\nretain_m365_sync_last_exit_code 0';
    assert.equal(metricLine(hostile), "retain_m365_credential_expiry_timestamp_seconds 1798761600");
    recordWith(withThumbprint(hostile));
    assert.deepEqual((await statusJson(out)).report.credential, { expiresAt });
  });

  it("the credential expires within --warn-expiry-days (default 30), or has expired", async () => {
    const inTenDays = new Date(Date.now() + 10 * 86_400_000 + 3_600_000).toISOString();
    recordWith({ credential: { type: "certificate", thumbprint: "ab".repeat(20), expiresAt: inTenDays } });
    const soon = await statusJson(out);
    assert.equal(soon.code, 6);
    assert.deepEqual(soon.report.credential, { expiresAt: inTenDays, thumbprint: "AB".repeat(20) }, "a thumbprint in Entra's spelling, upper-case hex");
    assert.deepEqual(soon.report.problems, [`the app's credential expires at ${inTenDays}, in 10 days (within --warn-expiry-days 30)`]);
    assert.equal((await statusJson(out, ["--warn-expiry-days", "7"])).code, 0);

    recordWith({ credential: { expiresAt: hoursAgo(2) } });
    const expired = await statusJson(out, ["--warn-expiry-days", "0"]);
    assert.equal(expired.code, 6);
    assert.match(expired.report.problems.join("\n"), /^the app's credential expired at /);
  });

  it("a CSV missing or empty", async () => {
    recordWith({});
    assert.equal((await statusJson(out)).code, 0);
    const groups = path.join(out, "exchangegroups.csv");
    const kept = readFileSync(groups);
    rmSync(groups);
    const missing = await statusJson(out);
    assert.equal(missing.code, 6);
    assert.deepEqual(missing.report.problems, [`${groups} is missing`]);
    writeFileSync(groups, "");
    assert.deepEqual((await statusJson(out)).report.problems, [`${groups} is empty`]);
    writeFileSync(groups, kept);
  });

  it("no run recorded yet: unhealthy, lastRun null", async () => {
    const empty = newOut();
    const { code, report } = await statusJson(empty);
    assert.equal(code, 6);
    assert.equal(report.lastRun, null);
    assert.equal(report.lastSuccessAt, null);
    assert.match(report.problems[0] as string, /^no sync run is recorded/);
  });

  it("a malformed last-run.json is exit 6 with one sentence; a missing --out is exit 2", async () => {
    for (const garbage of ['{"at": "2026-', JSON.stringify({ ok: "yes" })]) {
      writeRecord(out, {});
      writeFileSync(recordFile(out), garbage);
      const result = await status(["--out", out]);
      assert.equal(result.code, 6);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /^retain-m365: \S*last-run\.json (cannot be read as JSON|is not a run record) .*\n$/);
      assert.ok(!/\n\s+at /.test(result.stderr), "no stack trace");
    }
    const missing = await status([]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--out/);
  });
});
