// One way the benchmarks start a command and collect what it printed.
import { spawn } from "node:child_process";

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `command` to its end, its output captured, and times it as a whole process. */
export function runCaptured(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** `sync`'s arguments against the loopback emulator, which is also the token service. */
export function syncArguments(tenantId: string, clientId: string, out: string, emulatorUrl: string): string[] {
  return ["sync", "--tenant-id", tenantId, "--client-id", clientId, "--out", out, "--graph-endpoint", emulatorUrl, "--authority-host", emulatorUrl];
}
