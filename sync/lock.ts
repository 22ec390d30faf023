import { closeSync, linkSync, mkdirSync, readdirSync, readSync, renameSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { ExitCode, UserFacingError } from "../core/errors";
import { GROUPS_FILE, USERS_FILE } from "./csv";
import { createWhole, openOwn, tempFileProcess, tempNameFor } from "./safe-files";
import { SafetyGuardError } from "./safety-guard";

export const LOCK_FILE = ".retain-m365-sync.lock";
/** Files whose temp files (safe-files.ts's tempNameFor, each named after the process that wrote it) may be left by a killed run. */
const TEMP_FILES_OF = [USERS_FILE, GROUPS_FILE, LOCK_FILE];

/**
 * Holds the folder's lock while `work` runs. A lock left by a process that no longer runs on this
 * host (killed, crashed) is cleared; a live one refuses with exit 5.
 */
export async function withOutputLock<T>(outDir: string, work: () => Promise<T>): Promise<T> {
  mkdirSync(outDir, { recursive: true });
  const lock = path.join(outDir, LOCK_FILE);
  // Created whole where there is none (safe-files.ts createWhole), so a lock file is never seen half-written.
  const owner = JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() });
  for (let attempt = 0; ; attempt++) {
    try {
      createWhole(lock, [owner], 0o600);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) throw lockError(error, lock);
      clearStaleLock(lock, outDir);
    }
  }
  try {
    removeOrphanedTempFiles(outDir);
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Removes a lock whose process is gone; refuses (exit 5) when it is live or on another host. */
function clearStaleLock(lock: string, outDir: string): void {
  const holder = readLock(lock);
  if (!holder) return; // gone meanwhile: try again
  if (holder.host !== hostname()) throw new SafetyGuardError(`${lock} is held by host ${holder.host}; remove it if no sync runs there`);
  if (isAlive(holder.pid)) throw new SafetyGuardError(`another sync (process ${holder.pid}, started ${holder.started}) is writing ${outDir}`);
  // Move it aside atomically, then check that what moved is the stale lock and not one just taken.
  const aside = tempNameFor(lock);
  try {
    renameSync(lock, aside);
  } catch {
    return;
  }
  const moved = readLock(aside);
  if (moved && (moved.pid !== holder.pid || moved.started !== holder.started)) {
    try {
      linkSync(aside, lock);
    } finally {
      rmSync(aside, { force: true });
    }
    throw new SafetyGuardError(`another sync (process ${moved.pid}) has just taken the lock of ${outDir}`);
  }
  rmSync(aside, { force: true });
}

function lockError(error: unknown, lock: string): UserFacingError {
  if (error instanceof UserFacingError) return error;
  return new UserFacingError(`cannot take the lock ${lock}: ${(error as Error).message}`, ExitCode.unexpected);
}

/**
 * The lock's holder; undefined when the lock is gone. A link, another user's file (exit 5) or a file
 * that is not a lock this sync wrote (exit 2) is refused, never followed or trusted.
 */
function readLock(lock: string): { pid: number; host: string; started: string } | undefined {
  let text: string;
  try {
    // Another sync's lock has two links while it is being linked into place.
    const fd = openOwn(lock, { hardLinks: true });
    try {
      const buffer = Buffer.alloc(4096);
      text = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (error instanceof UserFacingError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new UserFacingError(`cannot read the lock ${lock} (${code ?? "error"}); remove it if no sync is running`, ExitCode.invalidInput);
  }
  let holder: unknown;
  try {
    holder = JSON.parse(text);
  } catch {
    holder = undefined;
  }
  const { pid, host, started } = (holder ?? {}) as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || typeof host !== "string" || typeof started !== "string") {
    throw new UserFacingError(`${lock} is not a lock this sync wrote; remove it if no sync is running`, ExitCode.invalidInput);
  }
  return { pid: pid as number, host, started };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Temp files of killed runs: only ever ours (by name), only when their process is gone; a link is removed, never followed. */
function removeOrphanedTempFiles(outDir: string): void {
  for (const name of readdirSync(outDir)) {
    const pid = tempFileProcess(name, TEMP_FILES_OF);
    if (pid === undefined || isAlive(pid)) continue;
    try {
      rmSync(path.join(outDir, name), { force: true });
    } catch {
      // a folder planted under such a name: left alone, never a reason to fail
    }
  }
}
