import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { ExitCode, UserFacingError } from "../core/errors";
import { retrying, type RetryClock, type RetryPolicy } from "../core/retry";
import { ContractCsvWalker, countLegacyCsvRecords, csvText, GROUPS_FILE, USERS_FILE, type CsvTable } from "./csv";
import { checkOwn, chunksOf, copyOwn, copyOwnAside, entryOf, openOwn, ownFileChunks, ownFolder, THIS_HOST, WINDOWS_HOST, writeTemp, type Expect, type Host, type Written } from "./safe-files";
import { SafetyGuardError } from "./safety-guard";

export const BACKUP_DIR = "backup";
const FILE_MODE = 0o640;

/**
 * On Windows a file another program holds open (Retain, a Java process, reading the CSVs) cannot
 * be renamed over: MoveFileEx fails, which Node reports as EPERM, EBUSY or EACCES. Eight tries
 * with doubling pauses from a quarter second (capped at 8 s, jittered) wait about 12–24 s.
 */
export const FILE_IN_USE_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 250, maxDelayMs: 8000 };
const IN_USE_CODES = new Set(["EPERM", "EBUSY", "EACCES"]);

/** The calls whose behaviour differs on Windows; tests replace them. */
export interface FileSystemPlatform {
  windows: boolean;
  rename: (from: string, to: string) => void;
  /** How a rename waits for another try (FILE_IN_USE_RETRY); the real clock when not given. */
  clock?: RetryClock;
}

/** How files are checked (safe-files.ts) on the platform: Windows has no O_NOFOLLOW, uids or modes. */
export const hostOf = (platform: FileSystemPlatform): Host => (platform.windows ? WINDOWS_HOST : THIS_HOST);

export const THIS_PLATFORM: FileSystemPlatform = {
  windows: process.platform === "win32",
  rename: renameSync,
};

export interface ReplaceOptions {
  outDir: string;
  /** Previous generations kept under backup/. */
  backups: number;
  /** Refuse when the user count drops by more than this percentage. */
  maxShrinkPercent: number;
  /** Replace even when empty or shrunk too much. */
  force: boolean;
  now?: Date;
  platform?: FileSystemPlatform;
}

export interface NewFiles {
  users: CsvTable;
  groups: CsvTable;
}

export interface ReplaceResult {
  /** Both files already held exactly the new bytes: nothing was written or backed up. */
  unchanged: boolean;
  previousUsers?: number;
  /** The backup folder of the previous pair, if there was one. */
  backup?: string;
}

/**
 * Number of records (header excluded) of an existing users CSV; undefined when there is none; NaN
 * when unreadable. Read only when it is the sync's own file (safe-files.ts), else refused.
 */
export function countRecords(file: string, expect: Expect = {}, host: Host = THIS_HOST): number | undefined {
  if (!entryOf(file)) return undefined;
  return countLegacyCsvRecords(ownFileChunks(file, expect, host)) ?? Number.NaN;
}

/**
 * Replaces both files safely: guards first, then temp files in the same folder (new random names,
 * created exclusively; rendered piece by piece, flushed, read back and checked), a backup of the
 * previous pair, and renames. Any failure leaves the previous files as they were. A link or another
 * user's file in the place of a CSV is refused (safe-files.ts). Call inside `withOutputLock` (lock.ts).
 */
export async function replaceFiles(files: NewFiles, options: ReplaceOptions): Promise<ReplaceResult> {
  const platform = options.platform ?? THIS_PLATFORM;
  const host = hostOf(platform);
  const usersPath = path.join(options.outDir, USERS_FILE);
  const groupsPath = path.join(options.outDir, GROUPS_FILE);
  for (const file of [usersPath, groupsPath]) checkOwn(file, "file", {}, host);
  const counted = countRecords(usersPath, {}, host);
  const previousUsers = counted === undefined || Number.isNaN(counted) ? undefined : counted;

  if (!options.force) {
    const userCount = files.users.records;
    if (userCount === 0) throw new SafetyGuardError("the directory returned no mail-enabled users; refusing to write empty files (use --force to write them anyway)");
    if (counted !== undefined && Number.isNaN(counted)) {
      throw new SafetyGuardError(`${usersPath} is not a CSV this tool can count, so the shrink guard cannot check the new result; use --force to replace it`);
    }
    if (previousUsers !== undefined && previousUsers > 0) {
      const shrink = ((previousUsers - userCount) / previousUsers) * 100;
      if (shrink > options.maxShrinkPercent) {
        throw new SafetyGuardError(
          `the user count would drop from ${previousUsers} to ${userCount} (${shrink.toFixed(1)}% > --max-shrink-percent ${options.maxShrinkPercent}); use --force if that is right`,
        );
      }
    }
  }

  // Every file made here, removed at the end whatever happens (a renamed one is no longer there).
  const made: string[] = [];
  try {
    const temps = [
      { path: usersPath, table: files.users },
      { path: groupsPath, table: files.groups },
    ].map((file) => {
      const written = writeTemp(file.path, csvText(file.table.columns, file.table.rows()), FILE_MODE, host, true);
      made.push(written.file);
      checkWritten(written, file.table, platform, host);
      return { ...file, temp: written.file };
    });
    if (temps.every((file) => sameBytes(file.temp, file.path, host))) return { unchanged: true, previousUsers };
    const backup = backupPrevious([usersPath, groupsPath], options, host);
    const [users, groups] = temps as [(typeof temps)[number], (typeof temps)[number]];
    // The previous users file, kept aside whatever --backups says, to put back if the groups file cannot be replaced.
    let previousUsersCopy: string | undefined;
    if (entryOf(usersPath)) made.push((previousUsersCopy = copyOwnAside(usersPath, FILE_MODE, host)));
    await renameWhenFree(users.temp, users.path, platform);
    try {
      await renameWhenFree(groups.temp, groups.path, platform);
    } catch (error) {
      // The pair stays of one generation: the previous users file back, or none if there was none.
      try {
        if (previousUsersCopy) await renameWhenFree(previousUsersCopy, users.path, platform);
        else rmSync(users.path, { force: true });
      } catch {
        throw new UserFacingError(`${groups.path} could not be replaced, nor ${users.path} put back: the two files are of different runs until the next sync`, ExitCode.safetyGuard);
      }
      throw error;
    }
    if (!platform.windows) syncFolder(options.outDir); // Windows cannot open a folder as a file; NTFS journals the renames
    return { unchanged: false, previousUsers, backup };
  } finally {
    for (const file of made) rmSync(file, { force: true });
  }
}

/** A rename that waits while another program holds the target open (Windows); then refuses, keeping the previous files. */
async function renameWhenFree(from: string, to: string, platform: FileSystemPlatform): Promise<void> {
  const inUse = (error: unknown) => platform.windows && IN_USE_CODES.has((error as NodeJS.ErrnoException).code ?? "");
  const { outcome, tries } = await retrying(() => platform.rename(from, to), { policy: { ...FILE_IN_USE_RETRY, clock: platform.clock }, retryable: (o) => !o.ok && inUse(o.error) });
  if (outcome.ok) return;
  if (!inUse(outcome.error)) throw outcome.error;
  const code = (outcome.error as NodeJS.ErrnoException).code;
  throw new SafetyGuardError(`${to} could not be replaced after ${tries} tries (${code}): another program, such as Retain, holds it open`);
}

/** Reads a temp file back through a descriptor of its own: the bytes written, mode 0640 (not on Windows, where the folder's permissions apply), the contract's shape and the expected number of records. */
function checkWritten(written: Written, table: CsvTable, platform: FileSystemPlatform, host: Host): void {
  const fd = openOwn(written.file, {}, host);
  try {
    if (!platform.windows && (fstatSync(fd).mode & 0o777) !== FILE_MODE) throw new Error(`${written.file} does not have mode 0640`);
    const hash = createHash("sha256");
    const walker = new ContractCsvWalker(table.columns.length);
    let bytes = 0;
    for (const chunk of chunksOf(fd)) {
      hash.update(chunk);
      walker.push(chunk);
      bytes += chunk.length;
    }
    if (bytes !== written.bytes || hash.digest("hex") !== written.sha256) throw new Error(`${written.file} does not read back as written`);
    const records = walker.end() - 1;
    if (records !== table.records) throw new Error(`${written.file} has ${records} records, not ${table.records}`);
  } finally {
    closeSync(fd);
  }
}

/** Whether two files of the sync's own hold the same bytes; false when either is missing. */
function sameBytes(a: string, b: string, host: Host): boolean {
  const [statsA, statsB] = [entryOf(a), entryOf(b)];
  if (!statsA || !statsB || statsA.size !== statsB.size) return false;
  const other = ownFileChunks(b, {}, host);
  try {
    for (const chunk of ownFileChunks(a, {}, host)) {
      const next = other.next();
      if (next.done || !next.value.equals(chunk)) return false;
    }
    return other.next().done === true;
  } finally {
    other.return(undefined);
  }
}

/** Copies the previous files (through descriptors that never followed a link) into a new backup/<UTC time>/, and prunes the oldest generations. */
function backupPrevious(files: string[], options: ReplaceOptions, host: Host): string | undefined {
  const existing = files.filter((file) => entryOf(file));
  if (existing.length === 0 || options.backups <= 0) return undefined;
  const root = ownFolder(path.join(options.outDir, BACKUP_DIR), host);
  const stamp = (options.now ?? new Date()).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  let folder = path.join(root, stamp);
  for (let n = 2; ; n++) {
    try {
      mkdirSync(folder, { mode: 0o750 }); // new, so the sync's own
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      folder = path.join(root, `${stamp}-${n}`);
    }
  }
  for (const file of existing) copyOwn(file, path.join(folder, path.basename(file)), FILE_MODE, host);
  const generations = readdirSync(root).filter((name) => /^\d{8}T\d{6}Z(-\d+)?$/.test(name)).sort();
  for (const old of generations.slice(0, Math.max(0, generations.length - options.backups))) rmSync(path.join(root, old), { recursive: true, force: true });
  return folder;
}

function syncFolder(folder: string): void {
  const fd = openSync(folder, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
