import path from "node:path";
import { ExitCode, fileSystemRefusal, UserFacingError } from "../core/errors";
import { isThumbprint } from "../core/certificates";
import { GROUPS_FILE, USERS_FILE } from "./csv";
import { countRecords, RUN_RECORD_FILE, STATE_FILE_RULE, writeStateFile } from "./output-folder";
import { entryOf, ownFileChunks, replaceWhole, UnsafeFileError, WrongKindError } from "./safe-files";

/** What is known of the credential a run signed in with; never the secret or the key. */
export interface CredentialInfo {
  type?: string;
  thumbprint?: string;
  /** ISO date; null when unknown (a client secret without `--secret-expires`). */
  expiresAt: string | null;
}

/** One sync run, as `<out>/backup/state/last-run.json` keeps it. */
export interface RunRecord {
  /** When the run ended (ISO). */
  at: string;
  ok: boolean;
  exitCode: number;
  durationMs: number;
  users?: number;
  groups?: number;
  /** Why it failed, one sentence. */
  message?: string;
  /** The last run that succeeded: this one, or carried over from the previous record. */
  lastSuccessAt: string | null;
  credential?: CredentialInfo;
}

export class MalformedRunRecordError extends Error {}

/** A record the sync cannot be sure it wrote itself (safe-files.ts): a link, another user's, writable by others. It was not read. */
export class UntrustedRunRecordError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file} is not trusted, so it was not read: it ${reason}`);
  }
}

/**
 * The last run's record; undefined when none was written yet. Read only when it is the sync's own
 * (STATE_FILE_RULE, owned by `owner`: by default the user reading it), else UntrustedRunRecordError.
 */
export function readRunRecord(outDir: string, owner?: number | null): RunRecord | undefined {
  const file = path.join(outDir, RUN_RECORD_FILE);
  if (!entryOf(file)) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for (const chunk of ownFileChunks(file, { ...STATE_FILE_RULE, ...(owner === undefined ? {} : { owner }) })) {
      chunks.push(Buffer.from(chunk)); // the reader reuses its buffer
      if ((size += chunk.length) > 1 << 20) throw new MalformedRunRecordError(`${file} is larger than a run record can be`);
    }
  } catch (error) {
    if (error instanceof UnsafeFileError || error instanceof WrongKindError) throw new UntrustedRunRecordError(file, error.reason);
    if (error instanceof MalformedRunRecordError) throw error;
    throw new MalformedRunRecordError(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let record: unknown;
  try {
    record = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw new MalformedRunRecordError(`${file} cannot be read as JSON (${(error as Error).message.split("\n")[0]})`);
  }
  if (!isRunRecord(record)) throw new MalformedRunRecordError(`${file} is not a run record (it lacks at, ok, exitCode or lastSuccessAt)`);
  return record;
}

function isRunRecord(value: unknown): value is RunRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  const isDate = (v: unknown) => typeof v === "string" && !Number.isNaN(Date.parse(v));
  const credential = r.credential as Record<string, unknown> | undefined;
  return (
    isDate(r.at) &&
    typeof r.ok === "boolean" &&
    Number.isInteger(r.exitCode) &&
    (r.lastSuccessAt === null || isDate(r.lastSuccessAt)) &&
    (credential === undefined || (typeof credential === "object" && credential !== null && (credential.expiresAt === null || isDate(credential.expiresAt))))
  );
}

export interface RunOutcome {
  startedAt: number;
  endedAt: number;
  exitCode: number;
  users?: number;
  groups?: number;
  message?: string;
  credential?: CredentialInfo;
}

/** The record of a run that just ended; a failure carries the last success (and credential) over from the previous record. */
export function recordFor(outcome: RunOutcome, previous: RunRecord | undefined): RunRecord {
  const at = new Date(outcome.endedAt).toISOString();
  const ok = outcome.exitCode === 0;
  const credential = outcome.credential ?? previous?.credential;
  return {
    at,
    ok,
    exitCode: outcome.exitCode,
    durationMs: outcome.endedAt - outcome.startedAt,
    ...(outcome.users === undefined ? {} : { users: outcome.users }),
    ...(outcome.groups === undefined ? {} : { groups: outcome.groups }),
    ...(outcome.message === undefined ? {} : { message: outcome.message }),
    lastSuccessAt: ok ? at : (previous?.lastSuccessAt ?? null),
    ...(credential ? { credential } : {}),
  };
}

/**
 * The recorded certificate's thumbprint in the one spelling (core/certificates.ts), or undefined: the record
 * lives in a folder others may reach, so nothing but a thumbprint reaches status or a metric label.
 */
export function recordedThumbprint(record: RunRecord | undefined): string | undefined {
  const thumbprint = record?.credential?.thumbprint?.toUpperCase();
  return thumbprint !== undefined && isThumbprint(thumbprint) ? thumbprint : undefined;
}

/** Replaces the record whole (output-folder.ts's writeStateFile): a reader sees the old or the new text, never a part. */
export function writeRunRecord(outDir: string, record: RunRecord): void {
  writeStateFile(outDir, RUN_RECORD_FILE, [`${JSON.stringify(record, null, 2)}\n`]);
}

const METRICS: [name: string, help: string][] = [
  ["retain_m365_sync_last_run_timestamp_seconds", "When the last directory sync run ended (Unix time)."],
  ["retain_m365_sync_last_success_timestamp_seconds", "When the last successful directory sync ended (Unix time); 0 if none is recorded."],
  ["retain_m365_sync_last_exit_code", "Exit code of the last directory sync run (0 ok)."],
  ["retain_m365_sync_duration_seconds", "Wall time of the last directory sync run."],
  ["retain_m365_sync_users", "Rows of exchangeuser.csv, the file Retain reads now."],
  ["retain_m365_sync_groups", "Rows of exchangegroups.csv, the file Retain reads now."],
  [
    "retain_m365_credential_expiry_timestamp_seconds",
    "When the credential of Retain's app expires (Unix time); absent when unknown. Label thumbprint: the certificate's, upper-case hex.",
  ],
];
export const METRIC_NAMES: readonly string[] = METRICS.map(([name]) => name);

/** node_exporter's textfile format. After a failure the counts are those of the files Retain still reads. */
export function renderMetrics(record: RunRecord, outDir: string): string {
  const seconds = (iso: string) => Date.parse(iso) / 1000;
  const countOf = (recorded: number | undefined, file: string) => recorded ?? countOrNaN(path.join(outDir, file));
  const values: (number | undefined)[] = [
    seconds(record.at),
    record.lastSuccessAt ? seconds(record.lastSuccessAt) : 0,
    record.exitCode,
    record.durationMs / 1000,
    countOf(record.users, USERS_FILE),
    countOf(record.groups, GROUPS_FILE),
    record.credential?.expiresAt ? seconds(record.credential.expiresAt) : undefined,
  ];
  const labels: (string | undefined)[] = [];
  const thumbprint = recordedThumbprint(record);
  if (thumbprint) labels[METRICS.length - 1] = `{thumbprint="${thumbprint}"}`;
  return METRICS.map(([name, help], i) => {
    const value = values[i];
    return value === undefined || Number.isNaN(value) ? "" : `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name}${labels[i] ?? ""} ${value}\n`;
  }).join("");
}

/** The rows of a CSV Retain reads now; NaN (no sample) when it is not the sync's own file (a link, say). */
function countOrNaN(file: string): number | undefined {
  try {
    return countRecords(file);
  } catch {
    return Number.NaN;
  }
}

export function writeMetricsFile(file: string, record: RunRecord, outDir: string): void {
  // Read by node_exporter's own user; it holds nothing secret.
  replaceWhole(file, [renderMetrics(record, outDir)], 0o644);
}

export interface RecordingOptions {
  metricsFile?: string;
  /** The credential, when known before the run; a summary's own `credential` wins. */
  credential?: CredentialInfo;
  /** Where a record or metrics file that could not be written is reported; the run's outcome stands. */
  warn: (message: string) => void;
}

/**
 * Runs one sync and records its outcome, success or failure, in the run record and the metrics
 * file. The error, if any, is rethrown unchanged.
 */
export async function recordedRun<T extends { users: number; groups: number; credential?: CredentialInfo }>(
  outDir: string,
  options: RecordingOptions,
  work: () => Promise<T>,
): Promise<T> {
  const startedAt = Date.now();
  let outcome: RunOutcome;
  let result: { ok: true; summary: T } | { ok: false; error: unknown };
  try {
    const summary = await work();
    result = { ok: true, summary };
    outcome = {
      startedAt,
      endedAt: Date.now(),
      exitCode: 0,
      users: summary.users,
      groups: summary.groups,
      credential: summary.credential ?? options.credential,
    };
  } catch (error) {
    result = { ok: false, error };
    const message = (error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)).slice(0, 500);
    const known = error instanceof UserFacingError ? error : fileSystemRefusal(error);
    outcome = { startedAt, endedAt: Date.now(), exitCode: known?.exitCode ?? ExitCode.unexpected, message, credential: options.credential };
  }
  let previous: RunRecord | undefined;
  try {
    previous = readRunRecord(outDir);
  } catch {
    previous = undefined; // a damaged record is replaced by this run's
  }
  const record = recordFor(outcome, previous);
  try {
    writeRunRecord(outDir, record);
  } catch (error) {
    // A link or another user's folder where the record goes: the run was refused for that already, in one sentence.
    const sameRefusal = !result.ok && (error as Error).message === (result.error as Error | undefined)?.message;
    if (!sameRefusal) options.warn(`the run record ${path.join(outDir, RUN_RECORD_FILE)} could not be written (${(error as Error).message})`);
  }
  if (options.metricsFile) {
    try {
      writeMetricsFile(options.metricsFile, record, outDir);
    } catch (error) {
      options.warn(`the metrics file ${options.metricsFile} could not be written (${(error as Error).message})`);
    }
  }
  if (!result.ok) throw result.error;
  return result.summary;
}
