import { ExitCode, UserFacingError } from "../core/errors";
import { CLOUDS } from "../m365/clouds";
import { appCredential, authorityFor } from "../m365/credentials";
import { createGraphClient } from "../m365/graph-client";
import { DEFAULT_READ } from "./directory-reader";
import { runSync, type SyncSummary } from "./run";

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
}

export interface FirstSyncTiming {
  /** How long new permissions (and a new secret) may take to apply before giving up. */
  waitForPermissionsMs: number;
  retryIntervalMs: number;
  log?: (message: string) => void;
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
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await runSync(client, {
        outDir: params.outDir,
        backups: params.backups,
        maxShrinkPercent: params.maxShrinkPercent,
        force: false,
        full: true,
        ...DEFAULT_READ,
      });
    } catch (error) {
      const refused = error instanceof UserFacingError && error.exitCode === ExitCode.auth;
      const waited = Date.now() - started;
      if (refused && waited + timing.retryIntervalMs <= timing.waitForPermissionsMs) {
        timing.log?.(`first directory sync: permissions not in effect yet (attempt ${attempt}); trying again in ${Math.round(timing.retryIntervalMs / 1000)} s`);
        await new Promise((resolve) => setTimeout(resolve, timing.retryIntervalMs));
        continue;
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new UserFacingError(
        `the first directory sync failed${refused ? ` after waiting ${Math.round(waited / 1000)} s for the new permissions` : ""}: ${reason}. ` +
          `Run it by hand once the permissions apply: npx retain-m365 sync --tenant-id ${params.tenantId} --client-id ${params.clientId} --out ${params.outDir} ` +
          `--client-secret-file <a file holding the client secret, mode 0600> (or the secret in RETAIN_SYNC_CLIENT_SECRET, set without typing it on a command line, where the shell's history would keep it; ` +
          "or --certificate <folder> after `retain-m365 credential new`)",
        error instanceof UserFacingError ? error.exitCode : ExitCode.unexpected,
      );
    }
  }
}
