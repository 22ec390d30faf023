import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { GROUPS_FILE, USERS_FILE } from "./csv";
import { countRecords } from "./replace";
import { readRunRecord, RUN_RECORD_FILE, type RunRecord } from "./run-record";

export interface HealthOptions {
  maxAgeHours: number;
  warnExpiryDays: number;
  now?: Date;
}

/** The answer of `retain-m365 status --json`. */
export interface HealthReport {
  healthy: boolean;
  problems: string[];
  lastRun: Pick<RunRecord, "at" | "ok" | "exitCode" | "users" | "groups" | "message"> | null;
  lastSuccessAt: string | null;
  credential: { expiresAt: string | null; thumbprint?: string };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Is the nightly sync of this folder healthy? Throws MalformedRunRecordError on a damaged record. */
export function checkHealth(outDir: string, options: HealthOptions): HealthReport {
  const now = (options.now ?? new Date()).getTime();
  const record = readRunRecord(outDir);
  const problems: string[] = [];
  if (!record) {
    problems.push(`no sync run is recorded (${path.join(outDir, RUN_RECORD_FILE)} does not exist)`);
  } else {
    if (!record.ok) problems.push(`the last run, at ${record.at}, failed with exit code ${record.exitCode}${record.message ? `: ${record.message}` : ""}`);
    if (record.lastSuccessAt === null) problems.push("no run has succeeded yet");
    else {
      const ageHours = (now - Date.parse(record.lastSuccessAt)) / HOUR_MS;
      if (ageHours > options.maxAgeHours) {
        problems.push(`the last successful run was at ${record.lastSuccessAt}, ${ageHours.toFixed(1)} hours ago (more than --max-age-hours ${options.maxAgeHours})`);
      }
    }
    const expiresAt = record.credential?.expiresAt;
    if (expiresAt) {
      const daysLeft = (Date.parse(expiresAt) - now) / DAY_MS;
      if (daysLeft <= 0) problems.push(`the app's credential expired at ${expiresAt}`);
      else if (daysLeft <= options.warnExpiryDays) problems.push(`the app's credential expires at ${expiresAt}, in ${Math.floor(daysLeft)} days (within --warn-expiry-days ${options.warnExpiryDays})`);
    }
  }
  for (const file of [USERS_FILE, GROUPS_FILE]) {
    const problem = csvProblem(path.join(outDir, file), file === USERS_FILE);
    if (problem) problems.push(problem);
  }
  return {
    healthy: problems.length === 0,
    problems,
    lastRun: record ? lastRunOf(record) : null,
    lastSuccessAt: record?.lastSuccessAt ?? null,
    credential: { expiresAt: record?.credential?.expiresAt ?? null, ...(record?.credential?.thumbprint ? { thumbprint: record.credential.thumbprint } : {}) },
  };
}

function lastRunOf(record: RunRecord): HealthReport["lastRun"] {
  const { at, ok, exitCode, users, groups, message } = record;
  return { at, ok, exitCode, ...(users === undefined ? {} : { users }), ...(groups === undefined ? {} : { groups }), ...(message === undefined ? {} : { message }) };
}

/** A file Retain reads that is missing or empty (sync365.ps1's failure mode); the users file also when it holds no user. */
function csvProblem(file: string, mustHoldRecords: boolean): string | undefined {
  if (!existsSync(file)) return `${file} is missing`;
  if (!statSync(file).isFile()) return `${file} is not a file`;
  if (statSync(file).size === 0) return `${file} is empty`;
  if (mustHoldRecords && countRecords(file) === 0) return `${file} holds no users`;
  return undefined;
}
