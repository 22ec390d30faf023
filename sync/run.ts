import type { Client } from "@microsoft/microsoft-graph-client";
import { buildAddressBook } from "./csv";
import { applyDelta, latestDeltaLinks } from "./delta";
import { saveDeltaState, type DeltaLinks } from "./delta-state";
import { readDirectory, type ReadOptions } from "./directory-reader";
import type { DirectorySnapshot } from "./model";
import { withOutputLock } from "./lock";
import { replaceFiles, type ReplaceOptions } from "./replace";

export interface SyncOptions extends Omit<ReplaceOptions, "now">, ReadOptions {
  /** Ignore the saved delta state and read everything. */
  full: boolean;
}

/** Retain's app credential a sync signed in with, and when it expires (null: not known, e.g. a secret without `--secret-expires`). */
export interface SyncCredential {
  type: "secret" | "certificate";
  /** SHA-1 thumbprint, upper-case hex; certificates only. */
  thumbprint?: string;
  expiresAt: string | null;
}

export interface SyncSummary {
  outDir: string;
  /** `delta`: only the changes since the last run were read. */
  mode: "full" | "delta";
  users: number;
  groups: number;
  memberships: number;
  /** The files already had exactly these bytes, so they were left as they were. */
  unchanged: boolean;
  previousUsers?: number;
  backup?: string;
  /** Something the admin should know that did not make the run fail. */
  warning?: string;
  durationMs: number;
  /** Added by the CLI, which chose the credential. */
  credential?: SyncCredential;
}

/**
 * One directory sync: read Graph (only the changes when a delta state is kept), write both CSVs
 * piece by piece, replace the files safely, then keep the delta state for the next run. The lock is
 * taken before reading, so two syncs of one folder never overlap.
 */
export async function runSync(client: Client, options: SyncOptions): Promise<SyncSummary> {
  const started = Date.now();
  return withOutputLock(options.outDir, async () => {
    // Transitive membership cannot be followed through groups/delta (it reports direct members only).
    const incremental = !options.transitive;
    let mode: SyncSummary["mode"] = "delta";
    let read: { snapshot: DirectorySnapshot; links?: DeltaLinks } | undefined = incremental && !options.full ? await applyDelta(client, options.outDir, options) : undefined;
    if (!read) {
      mode = "full";
      const links = incremental ? await latestDeltaLinks(client, options.retry) : undefined;
      read = { snapshot: await readDirectory(client, options), links };
    }
    const book = buildAddressBook(read.snapshot);
    const result = await replaceFiles(book, options);
    let warning: string | undefined;
    try {
      if (read.links) saveDeltaState(options.outDir, { ...read.links, snapshot: read.snapshot });
    } catch (error) {
      // The files are already right; only the next run's shortcut is lost.
      warning = `the delta state could not be saved (${(error as Error).message}); the next run reads everything`;
    }
    return {
      outDir: options.outDir,
      mode,
      users: book.users.records,
      groups: book.groups.records,
      memberships: book.memberships,
      ...result,
      ...(warning ? { warning } : {}),
      durationMs: Date.now() - started,
    };
  });
}
