import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./cli";

const RUN_PREFIX = "retain-package-run-";
const WAIT_MS = 600_000;

/** A process's start time (field 22 of /proc/<pid>/stat), so that a reused pid is not taken for the same process. */
function startTime(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[19];
  } catch {
    return undefined;
  }
}

/** `npm run package -- --out <dist>` under the strictest umask: the archives' modes must not depend on who builds them. */
async function build(dist: string): Promise<string> {
  await promisify(execFile)("sh", ["-c", 'umask 077 && exec npm run --silent package -- --out "$0"', dist], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  return dist;
}

/** The builds of test runs whose runner has ended. */
function removeEndedRuns(): void {
  for (const name of readdirSync(tmpdir())) {
    const [pid, start] = name.startsWith(RUN_PREFIX) ? name.slice(RUN_PREFIX.length).split("-") : [];
    if (pid !== undefined && startTime(Number(pid)) !== start) rmSync(path.join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** Waits for another test file's build in `run`: its folder `dist` once `built` appears, its error once `failed` does. */
function buildOf(run: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => {
      watcher.close();
      clearTimeout(timer);
      outcome();
    };
    const check = () => {
      if (existsSync(path.join(run, "built"))) settle(() => resolve(path.join(run, "dist")));
      else if (existsSync(path.join(run, "failed")))
        settle(() => reject(new Error(`npm run package failed in another test file: ${readFileSync(path.join(run, "failed"), "utf8")}`)));
    };
    const watcher = watch(run, check);
    const timer = setTimeout(
      () => settle(() => reject(new Error(`npm run package did not finish in ${WAIT_MS / 1000} s in another test file (${run})`))),
      WAIT_MS,
    );
    check();
  });
}

async function sharedBuild(): Promise<string> {
  const runner = startTime(process.ppid);
  if (!process.env.NODE_TEST_CONTEXT || runner === undefined) return build(mkdtempSync(path.join(tmpdir(), "retain-dist-")));
  removeEndedRuns();
  const run = path.join(tmpdir(), `${RUN_PREFIX}${process.ppid}-${runner}`);
  try {
    mkdirSync(run);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return buildOf(run);
  }
  try {
    const dist = await build(path.join(run, "dist"));
    writeFileSync(path.join(run, "built"), "");
    return dist;
  } catch (error) {
    const failed = path.join(run, "failed");
    writeFileSync(`${failed}.tmp`, `${(error as Error).message}`);
    renameSync(`${failed}.tmp`, failed);
    throw error;
  }
}

let built: Promise<string> | undefined;

/**
 * The folder that `npm run package` wrote both archives and their checksums into, built once per
 * test run: `node --test` starts each test file as its child (NODE_TEST_CONTEXT set), so the first
 * file to ask builds into a folder named after the runner (its pid and start time) and the others
 * wait for it; the next run removes it. A file run on its own builds its own. Read it, never write to it.
 */
export function builtPackage(): Promise<string> {
  built ??= sharedBuild();
  return built;
}
