import { createHash } from "node:crypto";
import { chmodSync, closeSync, constants, copyFileSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { ExitCode, UserFacingError } from "../core/errors";
import { pauseBeforeRetry, type RetryPolicy } from "../core/retry";
import { ContractCsvWalker, countLegacyCsvRecords, csvText, GROUPS_FILE, USERS_FILE, type CsvTable } from "./csv";
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
  /** Waits before try `attempt + 1` of a rename. */
  pause: (attempt: number) => Promise<void>;
}

export const THIS_PLATFORM: FileSystemPlatform = {
  windows: process.platform === "win32",
  rename: renameSync,
  pause: (attempt) => pauseBeforeRetry(undefined, attempt, FILE_IN_USE_RETRY),
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

/** Number of records (header excluded) of an existing users CSV; undefined when there is none; NaN when unreadable. */
export function countRecords(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  return countLegacyCsvRecords(fileChunks(file)) ?? Number.NaN;
}

/**
 * Replaces both files safely: guards first, then temp files in the same folder (rendered piece by
 * piece, flushed, read back and checked), a backup of the previous pair, and renames. Any failure
 * leaves the previous files as they were. Call inside `withOutputLock` (lock.ts).
 */
export async function replaceFiles(files: NewFiles, options: ReplaceOptions): Promise<ReplaceResult> {
  const platform = options.platform ?? THIS_PLATFORM;
  const usersPath = path.join(options.outDir, USERS_FILE);
  const groupsPath = path.join(options.outDir, GROUPS_FILE);
  for (const file of [usersPath, groupsPath]) {
    if (existsSync(file) && !statSync(file).isFile()) throw new UserFacingError(`${file} is not a file; move it away so the sync can write the CSV there`, ExitCode.invalidInput);
  }
  const counted = countRecords(usersPath);
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

  const temps = [
    { path: usersPath, temp: tempPath(usersPath), table: files.users },
    { path: groupsPath, temp: tempPath(groupsPath), table: files.groups },
  ];
  // The previous users file, kept aside whatever --backups says, to put back if the groups file cannot be replaced.
  const previousUsersCopy = `${tempPath(usersPath)}.previous`;
  try {
    for (const file of temps) {
      const written = writeDurably(file.temp, csvText(file.table.columns, file.table.rows()));
      checkWritten(file.temp, written, file.table, platform);
    }
    if (temps.every((file) => sameBytes(file.temp, file.path))) return { unchanged: true, previousUsers };
    const backup = backupPrevious([usersPath, groupsPath], options);
    const [users, groups] = temps as [(typeof temps)[number], (typeof temps)[number]];
    const hadUsers = existsSync(usersPath);
    if (hadUsers) copyFileSync(usersPath, previousUsersCopy);
    await renameWhenFree(users.temp, users.path, platform);
    try {
      await renameWhenFree(groups.temp, groups.path, platform);
    } catch (error) {
      // The pair stays of one generation: the previous users file back, or none if there was none.
      try {
        if (hadUsers) await renameWhenFree(previousUsersCopy, users.path, platform);
        else rmSync(users.path, { force: true });
      } catch {
        throw new UserFacingError(`${groups.path} could not be replaced, nor ${users.path} put back: the two files are of different runs until the next sync`, ExitCode.safetyGuard);
      }
      throw error;
    }
    if (!platform.windows) syncFolder(options.outDir); // Windows cannot open a folder as a file; NTFS journals the renames
    return { unchanged: false, previousUsers, backup };
  } finally {
    for (const file of [...temps.map((temp) => temp.temp), previousUsersCopy]) rmSync(file, { force: true });
  }
}

/** A rename that waits while another program holds the target open (Windows); then refuses, keeping the previous files. */
async function renameWhenFree(from: string, to: string, platform: FileSystemPlatform): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      platform.rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (!platform.windows || !IN_USE_CODES.has(code)) throw error;
      if (attempt >= FILE_IN_USE_RETRY.maxAttempts) {
        throw new SafetyGuardError(`${to} could not be replaced after ${attempt} tries (${code}): another program, such as Retain, holds it open`);
      }
      await platform.pause(attempt);
    }
  }
}

export function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
}

interface Written {
  bytes: number;
  sha256: string;
}

/** Writes the text's pieces as UTF-8 with the mode (0640 unless told) and flushes them; only one piece is in memory at a time. */
export function writeDurably(file: string, pieces: Iterable<string>, mode = FILE_MODE): Written {
  const hash = createHash("sha256");
  let bytes = 0;
  const fd = openSync(file, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, mode);
  try {
    fchmodSync(fd, mode); // the mode asked for, whatever the umask
    for (const piece of pieces) {
      const chunk = Buffer.from(piece, "utf8");
      hash.update(chunk);
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done);
      bytes += chunk.length;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { bytes, sha256: hash.digest("hex") };
}

/** Reads a temp file back: the bytes written, mode 0640 (not on Windows, where the folder's permissions apply), the contract's shape and the expected number of records. */
function checkWritten(file: string, written: Written, table: CsvTable, platform: FileSystemPlatform): void {
  if (!platform.windows && (statSync(file).mode & 0o777) !== FILE_MODE) throw new Error(`${file} does not have mode 0640`);
  const hash = createHash("sha256");
  const walker = new ContractCsvWalker(table.columns.length);
  let bytes = 0;
  for (const chunk of fileChunks(file)) {
    hash.update(chunk);
    walker.push(chunk);
    bytes += chunk.length;
  }
  if (bytes !== written.bytes || hash.digest("hex") !== written.sha256) throw new Error(`${file} does not read back as written`);
  const records = walker.end() - 1;
  if (records !== table.records) throw new Error(`${file} has ${records} records, not ${table.records}`);
}

/** A file's bytes in pieces of 1 MiB (the same buffer each time). */
export function* fileChunks(file: string): Generator<Buffer> {
  const fd = openSync(file, constants.O_RDONLY);
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) yield buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Whether two files hold the same bytes; false when either is missing. */
function sameBytes(a: string, b: string): boolean {
  if (!existsSync(a) || !existsSync(b) || statSync(a).size !== statSync(b).size) return false;
  const other = fileChunks(b);
  try {
    for (const chunk of fileChunks(a)) {
      const next = other.next();
      if (next.done || !next.value.equals(chunk)) return false;
    }
    return other.next().done === true;
  } finally {
    other.return(undefined);
  }
}

function backupPrevious(files: string[], options: ReplaceOptions): string | undefined {
  const existing = files.filter((file) => existsSync(file));
  if (existing.length === 0 || options.backups <= 0) return undefined;
  const root = path.join(options.outDir, BACKUP_DIR);
  const stamp = (options.now ?? new Date()).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  let folder = path.join(root, stamp);
  for (let n = 2; existsSync(folder); n++) folder = path.join(root, `${stamp}-${n}`);
  mkdirSync(folder, { recursive: true, mode: 0o750 });
  for (const file of existing) {
    const copy = path.join(folder, path.basename(file));
    copyFileSync(file, copy);
    chmodSync(copy, FILE_MODE);
  }
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
