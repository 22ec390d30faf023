import path from "node:path";
import { countLegacyCsvRecords, GROUPS_FILE, USERS_FILE } from "./csv";
import {
  checkOwn,
  entryOf,
  ownFileChunks,
  ownFolder,
  refuseLink,
  replaceWhole,
  THIS_HOST,
  UnsafeFileError,
  WrongKindError,
  type Expect,
  type Host,
} from "./safe-files";

// What the sync keeps in its output folder (Retain's cfg), named here once:
//   exchangeuser.csv, exchangegroups.csv  the address book (csv.ts), replaced by replace.ts
//   .retain-m365-sync.lock                lock.ts
//   backup/<UTC time>/                    the previous pairs (replace.ts)
//   backup/state/delta.json               the delta state (delta-state.ts)
//   backup/state/last-run.json            the run record (run-record.ts)

export const BACKUP_DIR = "backup";
export const STATE_DIR = path.join(BACKUP_DIR, "state");
export const STATE_FILE = path.join(STATE_DIR, "delta.json");
export const RUN_RECORD_FILE = path.join(STATE_DIR, "last-run.json");
/** A state file is believed only when it is the sync's own and no one else may have written it (else: a full read). */
export const STATE_FILE_RULE: Expect = { private: true };

/**
 * Before anything is read: refuses (exit 5) a link, or another user's file or folder, where the sync
 * keeps its own (the CSVs, backup/, backup/state/, the state files), so nothing outside the folder is
 * ever read or written through one. A state file that is the sync's but that others may have written
 * is not refused but not believed: the run reads everything (the warning returned says why).
 */
export function checkOutputFolder(outDir: string, host: Host): string | undefined {
  const at = (name: string) => path.join(outDir, name);
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

/**
 * Replaces a file of backup/state/ whole (safe-files.ts): the folders are the sync's own (made when
 * missing), a link in the file's place is refused, anything else there is replaced.
 */
export function writeStateFile(outDir: string, name: string, pieces: Iterable<string | Buffer>): void {
  ownFolder(path.join(outDir, BACKUP_DIR));
  ownFolder(path.join(outDir, STATE_DIR));
  const file = path.join(outDir, name);
  refuseLink(file);
  replaceWhole(file, pieces, 0o640);
}

/**
 * Number of records (header excluded) of an existing CSV, whoever wrote it (csv.ts); undefined when
 * there is none; NaN when unreadable. Read only when it is the sync's own file (safe-files.ts), else refused.
 */
export function countRecords(file: string, expect: Expect = {}, host: Host = THIS_HOST): number | undefined {
  if (!entryOf(file)) return undefined;
  return countLegacyCsvRecords(ownFileChunks(file, expect, host)) ?? Number.NaN;
}
