import type { Client } from "@microsoft/microsoft-graph-client";
import { buildAddressBook } from "./address-book";
import { saveStateForNextRun } from "./delta-state";
import { withOutputLock } from "./lock";
import { checkOutputFolder } from "./output-folder";
import { readLatest, type LatestOptions } from "./read";
import { hostOf, replaceFiles, THIS_PLATFORM, type ReplaceOptions } from "./replace";

// One directory sync, in one pass; each step in its own module, each called once:
//   0. lock the folder and check it            lock.ts, output-folder.ts (safe-files.ts's rules)
//   1. read: Graph's changes since the saved   read.ts: delta.ts and the state (delta-state.ts), or
//      state, or everything                    directory-reader.ts; nothing changed and the files
//                                              as last written (one SHA-256 each): stop here
//   2. merge into the directory                delta.ts applyDelta (a full read packs each page as
//                                              it arrives), into directory.ts
//   3. render                                  address-book.ts (rows, order), csv.ts (bytes)
//   4. write, verify and back up               replace.ts: guards (safety-guard.ts), temp files
//                                              hashed once while written and read back as written,
//                                              backup/, renames
//   5. record the state                        delta-state.ts: the directory, the links and the
//                                              hashes of step 4, for the next run's step 1
// The run record and metrics are written around this by run-record.ts (cli/sync.ts).

export type SyncOptions = Omit<ReplaceOptions, "now"> & Omit<LatestOptions, "trustState">;

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

/** One directory sync (the steps above). The lock is taken before reading, so two syncs of one folder never overlap. */
export async function runSync(client: Client, options: SyncOptions): Promise<SyncSummary> {
  const started = Date.now();
  const { outDir } = options;
  return withOutputLock(outDir, async () => {
    const distrusted = checkOutputFolder(outDir, hostOf(options.platform ?? THIS_PLATFORM));
    const latest = await readLatest(client, { ...options, trustState: distrusted === undefined });
    if (latest.unchanged) {
      // Nothing to render, compare or back up; only the links may have moved on.
      const { saved, links } = latest;
      const moved = links.usersDeltaLink !== saved.usersDeltaLink || links.groupsDeltaLink !== saved.groupsDeltaLink;
      const warning = saveStateForNextRun(outDir, moved ? { ...saved, ...links } : undefined);
      const { users, groups, memberships } = saved.written;
      return {
        outDir,
        mode: "delta",
        users,
        groups,
        memberships,
        unchanged: true,
        previousUsers: users,
        durationMs: Date.now() - started,
        ...(warning ? { warning } : {}),
      };
    }
    const book = buildAddressBook(latest.directory);
    const { sha256, ...replaced } = await replaceFiles(book, options);
    const counts = { users: book.users.records, groups: book.groups.records, memberships: book.memberships };
    const header = latest.links && { ...latest.links, written: { usersSha256: sha256.users, groupsSha256: sha256.groups, ...counts } };
    // A state not believed is worth a word only when it would have been read.
    const warnings = [options.full || options.transitive ? undefined : distrusted, saveStateForNextRun(outDir, header, latest.directory)].filter(Boolean);
    return {
      outDir,
      mode: latest.mode,
      ...counts,
      ...replaced,
      durationMs: Date.now() - started,
      ...(warnings.length > 0 ? { warning: warnings.join("; ") } : {}),
    };
  });
}
