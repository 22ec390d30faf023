import type { Client } from "@microsoft/microsoft-graph-client";
import path from "node:path";
import { buildAddressBook, GROUPS_FILE, USERS_FILE } from "./csv";
import { applyDelta, latestDeltaLinks, readDeltaRounds } from "./delta";
import { fileSha256, loadDeltaHeader, loadDeltaState, saveDeltaHeader, saveDeltaState, STATE_DIR, STATE_FILE, STATE_FILE_RULE, type DeltaHeader, type DeltaLinks, type WrittenFiles } from "./delta-state";
import { readDirectory, type ReadOptions } from "./directory-reader";
import type { Directory } from "./directory";
import { withOutputLock } from "./lock";
import { BACKUP_DIR, hostOf, replaceFiles, THIS_PLATFORM, type ReplaceOptions } from "./replace";
import { RUN_RECORD_FILE } from "./run-record";
import { checkOwn, refuseLink, UnsafeFileError, WrongKindError } from "./safe-files";

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
    const distrusted = checkOutputFolder(options);
    // Transitive membership cannot be followed through groups/delta (it reports direct members only).
    const incremental = !options.transitive;
    const saved = incremental && !options.full && !distrusted ? loadDeltaHeader(options.outDir) : undefined;
    const rounds = saved && (await readDeltaRounds(client, saved, options.retry));
    const last = saved?.written;
    if (saved && last && rounds && rounds.users.length === 0 && rounds.groups.length === 0 && filesAsWritten(options.outDir, last)) {
      // Nothing changed and the files are the ones last written: nothing to render, compare or back up.
      const moved = rounds.links.usersDeltaLink !== saved.usersDeltaLink || rounds.links.groupsDeltaLink !== saved.groupsDeltaLink;
      return withSavedState(options.outDir, moved ? { ...saved, ...rounds.links } : undefined, undefined, () => ({
        outDir: options.outDir,
        mode: "delta",
        users: last.users,
        groups: last.groups,
        memberships: last.memberships,
        unchanged: true,
        previousUsers: last.users,
        durationMs: Date.now() - started,
      }));
    }
    const state = rounds && loadDeltaState(options.outDir);
    let mode: SyncSummary["mode"] = "delta";
    let read: { directory: Directory; links?: DeltaLinks } | undefined;
    if (state && rounds) {
      await applyDelta(client, state.directory, rounds, options);
      read = { directory: state.directory, links: rounds.links };
    } else {
      mode = "full";
      const links = incremental ? await latestDeltaLinks(client, options.retry) : undefined;
      read = { directory: await readDirectory(client, options), links };
    }
    const book = buildAddressBook(read.directory);
    const result = await replaceFiles(book, options);
    const counts = { users: book.users.records, groups: book.groups.records, memberships: book.memberships };
    const written: WrittenFiles = { usersSha256: fileSha256(path.join(options.outDir, USERS_FILE)) ?? "", groupsSha256: fileSha256(path.join(options.outDir, GROUPS_FILE)) ?? "", ...counts };
    const links = read.links;
    const summary = withSavedState(options.outDir, links && { ...links, written }, read.directory, () => ({ outDir: options.outDir, mode, ...counts, ...result, durationMs: Date.now() - started }));
    return distrusted && !options.full && incremental ? { ...summary, warning: [distrusted, summary.warning].filter(Boolean).join("; ") } : summary;
  });
}

/**
 * Before anything is read: refuses (exit 5) a link, or another user's file or folder, where the sync
 * keeps its own (the CSVs, backup/, backup/state/, the state files), so nothing outside the folder is
 * ever read or written through one. A state file that is the sync's but that others may have written
 * is not refused but not believed: the run reads everything (the warning returned says why).
 */
function checkOutputFolder(options: SyncOptions): string | undefined {
  const host = hostOf(options.platform ?? THIS_PLATFORM);
  const at = (name: string) => path.join(options.outDir, name);
  for (const file of [USERS_FILE, GROUPS_FILE]) checkOwn(at(file), "file", {}, host);
  for (const folder of [BACKUP_DIR, STATE_DIR]) checkOwn(at(folder), "folder", { private: true }, host);
  for (const file of [STATE_FILE, RUN_RECORD_FILE]) refuseLink(at(file));
  try {
    checkOwn(at(STATE_FILE), "file", STATE_FILE_RULE, host);
    return undefined;
  } catch (error) {
    if (!(error instanceof UnsafeFileError || error instanceof WrongKindError)) throw error;
    return `the delta state ${error.file} ${error.reason}, so it is not believed and this run read everything`;
  }
}

function filesAsWritten(outDir: string, written: WrittenFiles): boolean {
  return fileSha256(path.join(outDir, USERS_FILE)) === written.usersSha256 && fileSha256(path.join(outDir, GROUPS_FILE)) === written.groupsSha256;
}

/** Keeps the delta state for the next run (the whole directory, or only new links when `directory` is undefined); a failure there is a warning. */
function withSavedState(outDir: string, header: DeltaHeader | undefined, directory: Directory | undefined, summary: () => SyncSummary): SyncSummary {
  let warning: string | undefined;
  try {
    if (header && directory) saveDeltaState(outDir, { ...header, directory });
    else if (header) saveDeltaHeader(outDir, header);
  } catch (error) {
    // The files are already right; only the next run's shortcut is lost.
    warning = `the delta state could not be saved (${(error as Error).message}); the next run reads everything`;
  }
  return { ...summary(), ...(warning ? { warning } : {}) };
}
