import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { METRIC_NAMES } from "../../sync/run-record";
import { REPO_ROOT } from "../support/cli";

const RULES_FILE = path.join(REPO_ROOT, "monitoring", "retain-m365.rules.yml");

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (parse(readFileSync(RULES_FILE, "utf8")) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((group) => group.rules);

/** The PromQL the rules may use besides the sync's metrics. */
const PROMQL_FUNCTIONS = new Set(["time", "absent"]);

/** The identifiers of an expression: metric names, and functions (followed by a parenthesis). */
function identifiersOf(expr: string): { metrics: string[]; functions: string[] } {
  const metrics: string[] = [];
  const functions: string[] = [];
  for (const match of expr.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) (match[1] ? functions : metrics).push(match[0].replace(/\s*\($/, ""));
  return { metrics, functions };
}

describe("monitoring/retain-m365.rules.yml: Prometheus alerts over the sync's metrics", () => {
  it("is one rule group whose alerts each have an expression, a severity and a summary", () => {
    assert.ok(rules.length >= 3);
    for (const rule of rules) {
      assert.match(rule.alert, /^RetainM365\w+$/);
      assert.ok(rule.expr && rule.labels?.severity && rule.annotations?.summary, rule.alert);
    }
  });

  it("names only metrics the sync writes, and only a few PromQL functions", () => {
    for (const rule of rules) {
      const { metrics, functions } = identifiersOf(rule.expr);
      assert.ok(metrics.length > 0, rule.alert);
      for (const metric of metrics) assert.ok(METRIC_NAMES.includes(metric), `${rule.alert}: ${metric} is not a metric the sync writes`);
      for (const fn of functions) assert.ok(PROMQL_FUNCTIONS.has(fn), `${rule.alert}: ${fn}()`);
    }
  });

  it("alerts on a stale success, a failing run and an expiring credential", () => {
    const using = (metric: string) => rules.filter((rule) => identifiersOf(rule.expr).metrics.includes(metric)).map((rule) => rule.alert);
    assert.deepEqual(using("retain_m365_sync_last_success_timestamp_seconds"), ["RetainM365SyncStale"]);
    assert.deepEqual(using("retain_m365_sync_last_exit_code"), ["RetainM365SyncFailing"]);
    assert.deepEqual(using("retain_m365_credential_expiry_timestamp_seconds"), ["RetainM365CredentialExpiring", "RetainM365CredentialExpired"]);
  });

  it("promtool accepts it", () => {
    const check = spawnSync("promtool", ["check", "rules", RULES_FILE], { encoding: "utf8" });
    assert.equal(check.error, undefined, "promtool is missing: .ci/run installs it (Debian's prometheus package)");
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });
});
