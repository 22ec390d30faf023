import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ExitCode, UserFacingError } from "../core/errors";
import { retrying, type RetryClock } from "../core/retry";
import { CLOUDS } from "../m365/clouds";
import { appCredential, authorityFor } from "../m365/credentials";
import { createGraphClient } from "../m365/graph-client";
import { DEFAULT_READ } from "./directory-reader";
import { runSync, type SyncSummary } from "./pipeline";

export interface FirstSyncParams {
  tenantId: string;
  clientId: string;
  /** The app's new client secret: used in memory only, never logged or written. */
  clientSecret: string;
  outDir: string;
  backups: number;
  maxShrinkPercent: number;
  graphEndpoint?: string;
  authorityHost?: string;
  /** Where this run writes, when not `outDir` itself (firstSyncAfterDeploy's temporary folder). */
  writeTo?: string;
}

export interface FirstSyncTiming {
  /** How long new permissions (and a new secret) may take to apply before giving up. */
  waitForPermissionsMs: number;
  retryIntervalMs: number;
  log?: (message: string) => void;
  /** The real clock when not given; tests pass their own. */
  clock?: RetryClock;
}

export const DEFAULT_FIRST_SYNC_TIMING: FirstSyncTiming = { waitForPermissionsMs: 10 * 60_000, retryIntervalMs: 30_000 };

/**
 * The first directory sync right after deployment. Newly granted app roles and a new secret can
 * take minutes to apply, so refusals (403, invalid client) are retried for a bounded time; then
 * the error says how to run the sync by hand. A failure never leaves partial files.
 */
export async function runFirstSync(params: FirstSyncParams, timing: FirstSyncTiming = DEFAULT_FIRST_SYNC_TIMING): Promise<SyncSummary> {
  const credential = appCredential(params.tenantId, params.clientId, { clientSecret: params.clientSecret }, authorityFor("global", params.authorityHost));
  const client = createGraphClient({ credential, endpoint: params.graphEndpoint ?? CLOUDS.global.graph });
  const now = timing.clock?.now ?? (() => Date.now());
  const started = now();
  const isRefusal = (error: unknown) => error instanceof UserFacingError && error.exitCode === ExitCode.auth;
  let tries = 0;
  const { outcome, elapsedMs } = await retrying(
    (n) => {
      tries = n;
      return runSync(client, {
        outDir: params.writeTo ?? params.outDir,
        backups: params.backups,
        maxShrinkPercent: params.maxShrinkPercent,
        force: false,
        full: true,
        ...DEFAULT_READ,
      });
    },
    {
      // Tried while refused and time is left, at the same interval: permissions apply on Entra's schedule, not sooner for backing off.
      policy: { maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs: timing.retryIntervalMs, maxDelayMs: timing.retryIntervalMs, clock: timing.clock },
      retryAfterOf: () => String(timing.retryIntervalMs / 1000),
      retryable: (o) => {
        if (o.ok || !isRefusal(o.error) || now() - started + timing.retryIntervalMs > timing.waitForPermissionsMs) return false;
        timing.log?.(`first directory sync: permissions not in effect yet (attempt ${tries}); trying again in ${Math.round(timing.retryIntervalMs / 1000)} s`);
        return true;
      },
    },
  );
  if (outcome.ok) return outcome.value;
  const error = outcome.error;
  const refused = isRefusal(error);
  const reason = error instanceof Error ? error.message : String(error);
  throw new UserFacingError(
    `the first directory sync failed${refused ? ` after waiting ${Math.round(elapsedMs / 1000)} s for the new permissions` : ""}: ${reason}. ` +
      `Run it by hand once the permissions apply: npx retain-m365 sync --tenant-id ${params.tenantId} --client-id ${params.clientId} --out ${params.outDir} ` +
      `--client-secret-file <a file holding the client secret, mode 0600> (or the secret in RETAIN_SYNC_CLIENT_SECRET, set without typing it on a command line, where the shell's history would keep it; ` +
      "or --certificate <folder> after `retain-m365 credential new`)",
    error instanceof UserFacingError ? error.exitCode : ExitCode.unexpected,
  );
}

/** What the first sync after a deployment did: wrote `outDir` on this machine, or proved the app's access without writing it. */
export interface FirstSyncOutcome {
  summary: SyncSummary;
  /** Whether `outDir` is a folder on this machine, and so got the CSVs. */
  wroteOutputFolder: boolean;
}

const isFolder = (dir: string) => statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;

/**
 * The first sync where the deployment runs. On the Retain server, whose output folder is here, it
 * writes the CSVs as the nightly job does. Anywhere else (GitHub's runner, an admin's laptop) it
 * reads the tenant all the same, which proves the new app's permissions, into a temporary folder
 * that is removed afterwards: nothing is written outside it and nothing of the output stays.
 */
export async function firstSyncAfterDeploy(
  params: FirstSyncParams,
  timing: FirstSyncTiming = DEFAULT_FIRST_SYNC_TIMING,
  temporaryBase = tmpdir(),
): Promise<FirstSyncOutcome> {
  if (isFolder(params.outDir)) return { summary: await runFirstSync(params, timing), wroteOutputFolder: true };
  const trial = mkdtempSync(path.join(temporaryBase, "retain-m365-first-sync-"));
  try {
    return { summary: await runFirstSync({ ...params, backups: 0, writeTo: trial }, timing), wroteOutputFolder: false };
  } finally {
    rmSync(trial, { recursive: true, force: true });
  }
}
