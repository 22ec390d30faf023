import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { loadStack } from "../config/stack-file";
import { ExitCode, UserFacingError } from "../core/errors";
import type * as PlanModule from "../program/plan";
import type { Plan } from "../program/plan";

const CLI = path.join(__dirname, "..", "bin", "retain-m365.js");
/** Set in the environment of the processes `plan --all` starts: such a process plans the stacks it is sent instead. */
export const PLAN_WORKER_ENV = "RETAIN_M365_PLAN_WORKER";

export type StackPlan = { stack: string; plan: Plan } | { stack: string; failure: { code: number; stderr: string } };

/**
 * Plans the stacks in `workers` warm processes, each loading the Pulumi SDKs once. Pulumi's
 * runtime is global to a process; `planStack` starts it afresh for every stack (Pulumi's mock
 * runtime resets all of its state), so a stack's plan is the one `plan --stack` prints. A process
 * whose plan failed is replaced, so no stack is planned after a failure in the same process.
 */
export async function planInWorkers(stacks: readonly string[], stacksDir: string, workers: number): Promise<StackPlan[]> {
  const queue = [...stacks];
  const results: StackPlan[] = [];
  const serve = async () => {
    let worker: PlanWorker | undefined;
    try {
      while (queue.length > 0) {
        const stack = queue.shift()!;
        worker ??= new PlanWorker(stacksDir);
        const result = await worker.plan(stack);
        results.push(result);
        if ("failure" in result) {
          worker.close();
          worker = undefined;
        }
      }
    } finally {
      worker?.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, stacks.length)) }, serve));
  return results;
}

/** One warm process of the pool, planning one stack at a time. */
class PlanWorker {
  private readonly child: ChildProcess;
  private stderr = "";
  private pending?: { stack: string; resolve: (result: StackPlan) => void };

  constructor(stacksDir: string) {
    this.child = spawn(process.execPath, [CLI, "plan", "--all", "--stacks-dir", stacksDir], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: { ...process.env, [PLAN_WORKER_ENV]: "1" },
    });
    this.child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.child.on("message", (result: StackPlan) => {
      const pending = this.pending;
      this.pending = undefined;
      this.stderr = "";
      pending?.resolve(result);
    });
    this.child.on("close", (code) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve({ stack: pending.stack, failure: { code: code || ExitCode.unexpected, stderr: this.stderr } });
    });
  }

  plan(stack: string): Promise<StackPlan> {
    return new Promise((resolve) => {
      this.pending = { stack, resolve };
      this.child.send({ stack });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

/** The worker's side: plans each stack it is sent, answering as `plan --stack <name> --json` would have. */
export function servePlans(stacksDir: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the Pulumi SDKs, loaded once per worker
  const { planStack } = require("../program/plan") as typeof PlanModule;
  return new Promise((resolve) => {
    process.on("message", (message: { stack: string }) => {
      const { stack } = message;
      void (async (): Promise<StackPlan> => {
        try {
          const input = loadStack(stacksDir, stack);
          return { stack, plan: await planStack(input.stack, input.config) };
        } catch (error) {
          return { stack, failure: asCliFailure(error) };
        }
      })().then((result) => process.send?.(result));
    });
    process.on("disconnect", resolve);
  });
}

/** The exit code and message `main` would have given for this failure. */
function asCliFailure(error: unknown): { code: number; stderr: string } {
  if (error instanceof UserFacingError) return { code: error.exitCode, stderr: `retain-m365: ${error.message}\n` };
  const message = error instanceof Error ? error.message : String(error);
  return { code: ExitCode.unexpected, stderr: `retain-m365: unexpected failure: ${message.split("\n")[0]} (run with --debug for details)\n` };
}
