import path from "node:path";
import { GROUPS_FILE, USERS_FILE } from "./csv";
import { BACKUP_DIR, countRecords, RUN_RECORD_FILE, STATE_DIR } from "./output-folder";
import { readRunRecord, recordedThumbprint, UntrustedRunRecordError, type RunRecord } from "./run-record";
import { checkOwn, entryOf, THIS_HOST, UnsafeFileError, WrongKindError, type Host } from "./safe-files";

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

/**
 * Is the nightly sync of this folder healthy? Throws MalformedRunRecordError on a damaged record; a
 * record that is not trusted (a link, another user's, writable by others), or in a folder that is a
 * link or writable by others, is a problem, not read.
 */
export function checkHealth(outDir: string, options: HealthOptions, host: Host = THIS_HOST): HealthReport {
  const now = (options.now ?? new Date()).getTime();
  const problems: string[] = [];
  let record: RunRecord | undefined;
  try {
    // The record's folders first: O_NOFOLLOW guards only a path's last name.
    for (const folder of [BACKUP_DIR, STATE_DIR]) checkOwn(path.join(outDir, folder), "folder", { owner: null, private: true }, host);
    record = readRunRecord(outDir, recordOwner(outDir, host));
  } catch (error) {
    if (error instanceof UntrustedRunRecordError)
      problems.push(`${error.message}; remove it (the next run writes a new one) and check who else writes ${outDir}`);
    else if (error instanceof UnsafeFileError || error instanceof WrongKindError) problems.push(`the run record is not read: ${error.file} ${error.reason}`);
    else throw error;
  }
  if (!record) {
    if (problems.length === 0) problems.push(`no sync run is recorded (${path.join(outDir, RUN_RECORD_FILE)} does not exist)`);
  } else {
    if (!record.ok) problems.push(`the last run, at ${record.at}, failed with exit code ${record.exitCode}${record.message ? `: ${record.message}` : ""}`);
    if (record.lastSuccessAt === null) problems.push("no run has succeeded yet");
    else {
      const ageHours = (now - Date.parse(record.lastSuccessAt)) / HOUR_MS;
      if (ageHours > options.maxAgeHours) {
        problems.push(
          `the last successful run was at ${record.lastSuccessAt}, ${ageHours.toFixed(1)} hours ago (more than --max-age-hours ${options.maxAgeHours})`,
        );
      }
    }
    const expiresAt = record.credential?.expiresAt;
    if (expiresAt) {
      const daysLeft = (Date.parse(expiresAt) - now) / DAY_MS;
      if (daysLeft <= 0) problems.push(`the app's credential expired at ${expiresAt}`);
      else if (daysLeft <= options.warnExpiryDays)
        problems.push(`the app's credential expires at ${expiresAt}, in ${Math.floor(daysLeft)} days (within --warn-expiry-days ${options.warnExpiryDays})`);
    }
  }
  for (const file of [USERS_FILE, GROUPS_FILE]) {
    const problem = csvProblem(path.join(outDir, file), file === USERS_FILE);
    if (problem) problems.push(problem);
  }
  const thumbprint = recordedThumbprint(record);
  return {
    healthy: problems.length === 0,
    problems,
    lastRun: record ? lastRunOf(record) : null,
    lastSuccessAt: record?.lastSuccessAt ?? null,
    credential: { expiresAt: record?.credential?.expiresAt ?? null, ...(thumbprint ? { thumbprint } : {}) },
  };
}

function lastRunOf(record: RunRecord): HealthReport["lastRun"] {
  const { at, ok, exitCode, users, groups, message } = record;
  return {
    at,
    ok,
    exitCode,
    ...(users === undefined ? {} : { users }),
    ...(groups === undefined ? {} : { groups }),
    ...(message === undefined ? {} : { message }),
  };
}

/**
 * Whose record status believes: its own user's; run as root (an admin looking), the owner of
 * backup/state/, the folder the sync made, when that is a real folder. Null where files have no uid.
 */
function recordOwner(outDir: string, host: Host): number | null {
  if (host.user !== 0) return host.user;
  const folder = entryOf(path.join(outDir, STATE_DIR));
  return folder?.isDirectory() ? folder.uid : 0;
}

/** A file Retain reads that is missing or empty (sync365.ps1's failure mode); the users file also when it holds no user; never read through a link. */
function csvProblem(file: string, mustHoldRecords: boolean): string | undefined {
  const stats = entryOf(file);
  if (!stats) return `${file} is missing`;
  if (stats.isSymbolicLink()) return `${file} is a symbolic link, which the sync refuses and status does not follow`;
  if (!stats.isFile()) return `${file} is not a file`;
  if (stats.size === 0) return `${file} is empty`;
  if (!mustHoldRecords) return undefined;
  try {
    // Whoever runs status (root, a monitoring user) may read the sync's file: its owner is not checked here.
    if (countRecords(file, { owner: null }) === 0) return `${file} holds no users`;
  } catch (error) {
    if (error instanceof UnsafeFileError || error instanceof WrongKindError) return `${file} ${error.reason}`;
    throw error;
  }
  return undefined;
}
