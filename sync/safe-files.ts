import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
  type Stats,
} from "node:fs";
import path from "node:path";
import { ExitCode, UserFacingError } from "../core/errors";
import { SafetyGuardError } from "./safety-guard";

// The sync's files live in Retain's cfg folder, which Retain's own service account can write: it
// can plant links, hard links, files of its own and names the sync is about to use. The rules for
// using a file there are kept here, once, for the CSVs, backups, state, run record and lock, and
// so is the one way a file is written whole (writeTemp, then replaceWhole or createWhole; the CSV
// pair renames its checked temp files itself, replace.ts):
// - a file is created only under a new random name, exclusively, never through a link;
// - a file or folder is used only when it is not a link, is of the kind expected, belongs to the
//   user the sync runs as and (a file) has no other hard link; a file is read through a descriptor
//   opened without following links, and the checks are made on that descriptor;
// - what the sync trusts (its state, its own folders) must also not be writable by group or others.
// Node has no openat(), so a folder swapped for a link between its check and its use (a narrow race)
// is not caught; files are still created exclusively under names no one can plant in advance.

/** How this system's files are checked; tests pass Windows' to run its path on Linux. */
export interface Host {
  /** O_NOFOLLOW; 0 where it does not exist (Windows), and a link is refused by lstat before opening instead. */
  noFollow: number;
  /** The user the sync's files must belong to (this process's); null where files have no uid (Windows: NTFS ACLs apply). */
  user: number | null;
  /** Whether permission bits mean anything (not on Windows). */
  modes: boolean;
}

export const THIS_HOST: Host = {
  noFollow: constants.O_NOFOLLOW ?? 0,
  user: process.platform === "win32" ? null : (process.geteuid?.() ?? null),
  modes: process.platform !== "win32",
};
export const WINDOWS_HOST: Host = { noFollow: 0, user: null, modes: false };

/** What a file or folder must be to be used as the sync's own. */
export interface Expect {
  /** The user it must belong to; null: anyone's. Default: the host's user. */
  owner?: number | null;
  /** Not writable by group or others: what the sync trusts (its state, its folders). */
  private?: boolean;
  /** Other hard links allowed (the lock, linked into place by another sync). */
  hardLinks?: boolean;
}

/** An entry of the folder the sync will not use: a link, another user's file, one writable by others (exit 5). */
export class UnsafeFileError extends SafetyGuardError {
  constructor(
    readonly file: string,
    readonly reason: string,
    fix: string,
  ) {
    super(`${file} ${reason}, ${fix}`);
  }
}

/** A file where a folder belongs or the reverse (exit 2, like a path the admin named wrongly). */
export class WrongKindError extends UserFacingError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file} ${reason}; move it away so the sync can use that name`, ExitCode.invalidInput);
  }
}

type Kind = "file" | "folder";

/** Why `stats` cannot be used as the sync's own `kind`; undefined when it can. */
function refusal(file: string, stats: Stats, kind: Kind, host: Host, expect: Expect): Error | undefined {
  if (stats.isSymbolicLink()) return new UnsafeFileError(file, "is a symbolic link", "which the sync never follows: remove it");
  if (kind === "file" ? !stats.isFile() : !stats.isDirectory()) return new WrongKindError(file, kind === "file" ? "is not a regular file" : "is not a folder");
  const owner = expect.owner === undefined ? host.user : expect.owner;
  if (owner !== null && stats.uid !== owner) {
    return new UnsafeFileError(
      file,
      `belongs to uid ${stats.uid}, not to the sync's user (uid ${owner})`,
      "so it may have been put there by another account: check it, then move it away or run the sync as its owner",
    );
  }
  if (kind === "file" && !expect.hardLinks && stats.nlink > 1)
    return new UnsafeFileError(file, `has ${stats.nlink} hard links`, "so it may be another file's: move it away");
  if (expect.private && host.modes && (stats.mode & 0o022) !== 0) {
    return new UnsafeFileError(
      file,
      `is writable by group or others (mode ${(stats.mode & 0o777).toString(8).padStart(4, "0")})`,
      `so another account may have changed it: run \`chmod go-w ${file}\``,
    );
  }
  return undefined;
}

/** The entry itself (lstat), never what a link points to; undefined when there is none. */
export function entryOf(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Refuses an entry that exists and cannot be used as the sync's own `kind`; returns its lstat, undefined when missing. */
export function checkOwn(file: string, kind: Kind, expect: Expect = {}, host: Host = THIS_HOST): Stats | undefined {
  const stats = entryOf(file);
  const refused = stats && refusal(file, stats, kind, host, expect);
  if (refused) throw refused;
  return stats;
}

/** Refuses a link in the place of a file the sync replaces whole (state, record): the rest is replaced, a link never. */
export function refuseLink(file: string): void {
  if (entryOf(file)?.isSymbolicLink()) throw new UnsafeFileError(file, "is a symbolic link", "which the sync never follows: remove it");
}

/** A folder of the sync's own (backup/, backup/state/): made (0750) when missing; refused when a link, another user's or writable by others. */
export function ownFolder(dir: string, host: Host = THIS_HOST): string {
  try {
    mkdirSync(dir, { mode: 0o750 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  checkOwn(dir, "folder", { private: true }, host);
  return dir;
}

/**
 * Opens a file of the sync's own for reading, never through a link, and checks what was opened
 * (its descriptor's fstat). Refused (UnsafeFileError, WrongKindError) otherwise; ENOENT is thrown as is.
 */
export function openOwn(file: string, expect: Expect = {}, host: Host = THIS_HOST): number {
  if (host.noFollow === 0) checkOwn(file, "file", expect, host); // no O_NOFOLLOW: refuse a link before opening
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted in the file's place opens at once (and is refused) instead of hanging.
    fd = openSync(file, constants.O_RDONLY | host.noFollow | (host.modes ? (constants.O_NONBLOCK ?? 0) : 0));
  } catch (error) {
    // O_NOFOLLOW on a link: ELOOP (Linux, macOS), EMLINK (FreeBSD).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "EMLINK") throw new UnsafeFileError(file, "is a symbolic link", "which the sync never follows: remove it");
    throw error;
  }
  try {
    const refused = refusal(file, fstatSync(fd), "file", host, expect);
    if (refused) throw refused;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/** A descriptor's bytes from where it stands, in pieces of 1 MiB (the same buffer each time); the caller closes it. */
export function* chunksOf(fd: number): Generator<Buffer> {
  const buffer = Buffer.alloc(1 << 20);
  for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0;) yield buffer.subarray(0, read);
}

/** A file of the sync's own, read through `openOwn`, in pieces of 1 MiB. */
export function* ownFileChunks(file: string, expect: Expect = {}, host: Host = THIS_HOST): Generator<Buffer> {
  const fd = openOwn(file, expect, host);
  try {
    yield* chunksOf(fd);
  } finally {
    closeSync(fd);
  }
}

/** A new file at exactly `file`, created exclusively (never over an existing name, never through a link), with `mode` whatever the umask. */
export function createNew(file: string, mode: number, host: Host = THIS_HOST): number {
  const fd = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | host.noFollow, mode);
  try {
    fchmodSync(fd, mode);
  } catch (error) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw error;
  }
  return fd;
}

/** `.<name>.<pid>.<16 random hex digits>.tmp` beside `file`: the pid for removing a killed run's leftovers, the random part so no one can plant the name. */
export function tempNameFor(file: string): string {
  const name = path.basename(file);
  return path.join(path.dirname(file), `${name.startsWith(".") ? "" : "."}${name}.${process.pid}.${randomBytes(8).toString("hex")}.tmp`);
}

/** The process that made `entry`, when it is a temp file of one of `names` (this version's, or an earlier one's `.<name>.<pid>.tmp`). */
export function tempFileProcess(entry: string, names: readonly string[]): number | undefined {
  for (const name of names) {
    const prefix = `${name.startsWith(".") ? "" : "."}${name}.`;
    const match = entry.startsWith(prefix) ? /^(\d+)(?:\.[0-9a-f]{16})?\.tmp$/.exec(entry.slice(prefix.length)) : null;
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** A new temp file beside `file` (see tempNameFor), created exclusively; its descriptor and path. */
export function createTemp(file: string, mode: number, host: Host = THIS_HOST): { fd: number; file: string } {
  for (let attempt = 1; ; attempt++) {
    const temp = tempNameFor(file);
    try {
      return { fd: createNew(temp, mode, host), file: temp };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw error;
    }
  }
}

/**
 * Writes the pieces (text as UTF-8) to a new temp file beside `file`, flushes them and returns its path and size; one piece is in
 * memory at a time. `hashed`: their SHA-256 too, as they are written. `readBack`: each piece, once written, read back through a
 * descriptor of the file's own (openOwn) and compared byte for byte, then its size, its mode (where modes mean anything) and
 * that its name still leads to it: the file there holds exactly the pieces, checked without a second pass over it.
 */
export function writeTemp(
  file: string,
  pieces: Iterable<string | Buffer>,
  mode: number,
  host: Host = THIS_HOST,
  checks: { hashed?: boolean; readBack?: boolean } = {},
): { file: string; bytes: number; sha256?: string } {
  const { fd, file: temp } = createTemp(file, mode, host);
  const hash = checks.hashed ? createHash("sha256") : undefined;
  const open = [fd];
  let bytes = 0;
  try {
    const reader = checks.readBack ? open[open.push(openOwn(temp, {}, host)) - 1] : undefined;
    let back = Buffer.alloc(0);
    for (const piece of pieces) {
      const chunk = typeof piece === "string" ? Buffer.from(piece, "utf8") : piece;
      hash?.update(chunk);
      for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done);
      if (reader !== undefined) {
        if (back.length < chunk.length) back = Buffer.allocUnsafe(chunk.length);
        let read = 0;
        for (let n; read < chunk.length && (n = readSync(reader, back, read, chunk.length - read, bytes + read)) > 0;) read += n;
        if (!back.subarray(0, read).equals(chunk)) throw new Error(`${temp} does not read back as written`);
      }
      bytes += chunk.length;
    }
    fsyncSync(fd);
    const stats = reader === undefined ? undefined : fstatSync(reader);
    if (stats && (stats.size !== bytes || (host.modes && (stats.mode & 0o777) !== mode) || entryOf(temp)?.ino !== stats.ino))
      throw new Error(`${temp} is not the file written`);
  } catch (error) {
    for (const descriptor of open) closeSync(descriptor);
    rmSync(temp, { force: true });
    throw error;
  }
  for (const descriptor of open) closeSync(descriptor);
  return { file: temp, bytes, ...(hash ? { sha256: hash.digest("hex") } : {}) };
}

/**
 * Replaces `file` whole: the pieces written to a new temp file beside it, flushed, renamed over it.
 * A reader sees the old or the new bytes, never a part; a link in its place is replaced, never followed.
 */
export function replaceWhole(file: string, pieces: Iterable<string | Buffer>, mode: number, host: Host = THIS_HOST): void {
  placeWhole(file, pieces, mode, host, renameSync);
}

/**
 * Creates `file` whole where there is none: the pieces written to a new temp file beside it,
 * flushed, then linked to its name, which fails (EEXIST) when anything has it, a link included.
 * A reader sees the whole file or none; nothing is replaced, no link followed.
 */
export function createWhole(file: string, pieces: Iterable<string | Buffer>, mode: number, host: Host = THIS_HOST): void {
  placeWhole(file, pieces, mode, host, linkSync);
}

/** The pieces written to a temp file beside `file`, then put in its place by `place`; the temp name never stays. */
function placeWhole(file: string, pieces: Iterable<string | Buffer>, mode: number, host: Host, place: (temp: string, file: string) => void): void {
  const { file: temp } = writeTemp(file, pieces, mode, host);
  try {
    place(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Copies a file of the sync's own to `to`, a new file (exclusively, `mode`), through descriptors that never followed a link. */
export function copyOwn(from: string, to: string, mode: number, host: Host = THIS_HOST): void {
  copyInto(from, () => ({ fd: createNew(to, mode, host), file: to }), host);
}

/** Copies a file of the sync's own to a new temp file beside it (createTemp); its path. */
export function copyOwnAside(from: string, mode: number, host: Host = THIS_HOST): string {
  return copyInto(from, () => createTemp(from, mode, host), host);
}

function copyInto(from: string, create: () => { fd: number; file: string }, host: Host): string {
  const source = openOwn(from, {}, host);
  try {
    const target = create();
    try {
      for (const chunk of chunksOf(source)) for (let done = 0; done < chunk.length;) done += writeSync(target.fd, chunk, done);
    } catch (error) {
      closeSync(target.fd);
      rmSync(target.file, { force: true });
      throw error;
    }
    closeSync(target.fd);
    return target.file;
  } finally {
    closeSync(source);
  }
}

/** The warning for a sync run as root: a root process that writes into a folder another account can write is what an attacker wants. */
export function rootWarning(host: Host = THIS_HOST): string | undefined {
  return host.user === 0
    ? "the sync runs as root: Retain's account can write its folder, and a root process writing there is what a planted link aims at; run it as the nightly job's own user (e.g. `sudo -u <user> retain-m365 sync …`)"
    : undefined;
}
