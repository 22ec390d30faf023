import type { Client } from "@microsoft/microsoft-graph-client";
import { buildAddressBook, GROUP_COLUMNS, renderCsv, USER_COLUMNS } from "./csv";
import { readDirectory, type ReadOptions } from "./directory-reader";
import { replaceFiles, withOutputLock, type ReplaceOptions } from "./output";

export interface SyncOptions extends Omit<ReplaceOptions, "now">, ReadOptions {}

export interface SyncSummary {
  outDir: string;
  users: number;
  groups: number;
  memberships: number;
  previousUsers?: number;
  backup?: string;
  durationMs: number;
}

/**
 * One directory sync: read Graph, render both CSVs in memory, replace the files safely.
 * The lock is taken before reading, so two syncs of one folder never overlap.
 */
export async function runSync(client: Client, options: SyncOptions): Promise<SyncSummary> {
  const started = Date.now();
  return withOutputLock(options.outDir, async () => {
    const snapshot = await readDirectory(client, options);
    const book = buildAddressBook(snapshot);
    const result = replaceFiles(
      {
        usersCsv: renderCsv(USER_COLUMNS, book.users),
        groupsCsv: renderCsv(GROUP_COLUMNS, book.groups),
        userCount: book.users.length,
        groupCount: book.groups.length,
      },
      options,
    );
    return {
      outDir: options.outDir,
      users: book.users.length,
      groups: book.groups.length,
      memberships: book.memberships,
      ...result,
      durationMs: Date.now() - started,
    };
  });
}
