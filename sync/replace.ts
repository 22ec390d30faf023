import { closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { ExitCode, UserFacingError } from "../core/errors";
import { retrying, type RetryClock, type RetryPolicy } from "../core/retry";
import { ContractCsvWalker, csvText, GROUPS_FILE, USERS_FILE, type CsvTable } from "./csv";
import { BACKUP_DIR, countRecords } from "./output-folder";
import { checkOwn, copyOwn, copyOwnAside, entryOf, ownFileChunks, ownFolder, THIS_HOST, WINDOWS_HOST, writeTemp, type Host } from "./safe-files";
import { guardReplacement, SafetyGuardError, type GuardOptions } from "./safety-guard";

// Step 4 of a sync (pipeline.ts): write, verify and back up. Each file is rendered into a temp file
// beside it, hashed once while written (the hash the delta state records) and read back piece by
// piece as it is written; then the previous pair is backed up and the new one renamed into place.

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

export interface ReplaceOptions extends GuardOptions {
  outDir: string;
  /** Previous generations kept under backup/. */
  backups: number;
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
  /** Each file's SHA-256 (hex), computed while it was written: the only pass that hashes it. */
  sha256: { users: string; groups: string };
}

/**
 * Replaces both files safely: guards first (safety-guard.ts), then temp files in the same folder
 * (new random names, created exclusively; rendered piece by piece, hashed, read back, flushed and
 * checked), a backup of the previous pair, and renames. Any failure leaves the previous files as they
 * were. A link or another user's file in the place of a CSV is refused (safe-files.ts). Call inside
 * `withOutputLock` (lock.ts).
 */
export async function replaceFiles(files: NewFiles, options: ReplaceOptions): Promise<ReplaceResult> {
  const platform = options.platform ?? THIS_PLATFORM;
  const host = hostOf(platform);
  const usersPath = path.join(options.outDir, USERS_FILE);
  const groupsPath = path.join(options.outDir, GROUPS_FILE);
  for (const file of [usersPath, groupsPath]) checkOwn(file, "file", {}, host);
  const counted = countRecords(usersPath, {}, host);
  guardReplacement(usersPath, files.users.records, counted, options);
  const previousUsers = counted === undefined || Number.isNaN(counted) ? undefined : counted;

  // Every file made here, removed at the end whatever happens (a renamed one is no longer there).
  const made: string[] = [];
  try {
    const users = { path: usersPath, ...writeChecked(usersPath, files.users, host, made) };
    const groups = { path: groupsPath, ...writeChecked(groupsPath, files.groups, host, made) };
    const sha256 = { users: users.sha256, groups: groups.sha256 };
    if ([users, groups].every((file) => sameBytes(file.temp, file.path, host))) return { unchanged: true, previousUsers, sha256 };
    const backup = backupPrevious([usersPath, groupsPath], options, host);
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
        throw new UserFacingError(
          `${groups.path} could not be replaced, nor ${users.path} put back: the two files are of different runs until the next sync`,
          ExitCode.safetyGuard,
        );
      }
      throw error;
    }
    if (!platform.windows) syncFolder(options.outDir); // Windows cannot open a folder as a file; NTFS journals the renames
    return { unchanged: false, previousUsers, backup, sha256 };
  } finally {
    for (const file of made) rmSync(file, { force: true });
  }
}

/** A rename that waits while another program holds the target open (Windows); then refuses, keeping the previous files. */
async function renameWhenFree(from: string, to: string, platform: FileSystemPlatform): Promise<void> {
  const inUse = (error: unknown) => platform.windows && IN_USE_CODES.has((error as NodeJS.ErrnoException).code ?? "");
  const { outcome, tries } = await retrying(() => platform.rename(from, to), {
    policy: { ...FILE_IN_USE_RETRY, clock: platform.clock },
    retryable: (o) => !o.ok && inUse(o.error),
  });
  if (outcome.ok) return;
  if (!inUse(outcome.error)) throw outcome.error;
  const code = (outcome.error as NodeJS.ErrnoException).code;
  throw new SafetyGuardError(`${to} could not be replaced after ${tries} tries (${code}): another program, such as Retain, holds it open`);
}

/**
 * One file's temp beside it (added to `made`): its pieces walked against the contract's shape as they
 * are rendered, hashed and written, each read back as written (safe-files.ts writeTemp), mode 0640
 * (not on Windows, where the folder's permissions apply), then the number of records checked.
 */
function writeChecked(file: string, table: CsvTable, host: Host, made: string[]): { temp: string; sha256: string } {
  const walker = new ContractCsvWalker(table.columns.length);
  const pieces = function* () {
    for (const text of csvText(table.columns, table.rows())) {
      const bytes = Buffer.from(text, "utf8");
      walker.push(bytes);
      yield bytes;
    }
  };
  const written = writeTemp(file, pieces(), FILE_MODE, host, { hashed: true, readBack: true });
  made.push(written.file);
  const records = walker.end() - 1;
  if (records !== table.records) throw new Error(`${written.file} has ${records} records, not ${table.records}`);
  return { temp: written.file, sha256: written.sha256! };
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
  const stamp = (options.now ?? new Date())
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
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
  const generations = readdirSync(root)
    .filter((name) => /^\d{8}T\d{6}Z(-\d+)?$/.test(name))
    .sort();
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
