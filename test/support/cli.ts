import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { testTls } from "../../emulators/tls";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `retain-m365` executable with the Node running the tests. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): CliResult {
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), path.join(REPO_ROOT, "bin", "retain-m365.js"), ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    encoding: "utf8",
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a program without blocking this process, which may be serving the loopback emulator it talks to. */
export function runProgramAsync(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? -1 : null), stdout, stderr }));
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
  });
}

/** Runs the CLI without blocking this process. The child trusts the test CA through NODE_EXTRA_CA_CERTS. */
export function runCliAsync(args: string[], options: { env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {}): Promise<CliResult> {
  return runProgramAsync(process.execPath, [path.join(REPO_ROOT, "bin", "retain-m365.js"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: testTls().caFile, ...options.env },
    ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
  });
}

/** The npm packages a process loaded, from what test/support/report-packages.cjs (preloaded) printed on its stderr. */
export function loadedPackages(stderr: string): string[] {
  const line = /LOADED PACKAGES (.*)/.exec(stderr)?.[1];
  if (!line) throw new Error(`no package report: ${stderr}`);
  return JSON.parse(line) as string[];
}
export const REPORT_PACKAGES = path.join(__dirname, "report-packages.cjs");

/** The npm packages a CLI run loaded (its modules under node_modules). */
export function packagesLoadedBy(args: string[]): string[] {
  return loadedPackages(runCli(args, { nodeArgs: ["--require", REPORT_PACKAGES] }).stderr);
}
