import { availableParallelism } from "node:os";
import { Option, type Command } from "commander";
import { listStacks, loadConfigFile, loadStack, stackFilePath, stackNameOf } from "../config/stack-file";
import { validatedOrThrow } from "../config/validate";
import { ConfigError, ExitCode, UserFacingError } from "../core/errors";
import type * as PlanModule from "../program/plan";
import type { Plan } from "../program/plan";
import { stackName } from "./arguments";
import { renderPlanTable } from "./plan-render";
import { planInWorkers, PLAN_WORKER_ENV, servePlans } from "./plan-workers";
import type { Io } from "./io";

interface PlanOptions {
  stack?: string;
  configFile?: string;
  all?: boolean;
  stacksDir: string;
  json?: boolean;
}

export function registerPlanCommand(program: Command, io: Io): void {
  program
    .command("plan")
    .description(
      "Validate a tenant stack's configuration and show every resource `pulumi up` would create, offline " +
        "(Pulumi's mock runtime: no credentials, no network). Exit 2 lists every configuration problem.",
    )
    .addOption(new Option("--stack <name>", "tenant stack: reads <stacks-dir>/Pulumi.<name>.yaml").argParser(stackName).conflicts("configFile"))
    .addOption(new Option("--config-file <path>", "a stack file to plan instead of a named stack"))
    .addOption(new Option("--all", "every stack in <stacks-dir>; all are validated before any is planned").conflicts(["stack", "configFile"]))
    .option("--stacks-dir <dir>", "folder of the stack files", "stacks")
    .option("--json", 'print one JSON object shaped like `pulumi preview --json` (with --all: {"stacks": [one per stack]})')
    .action(async (options: PlanOptions) => {
      if (options.all) return planAll(options, io);
      const { stack, config } = loadPlanInput(options);
      // Loaded on use: the Pulumi SDKs cost a second and ~90 MB that the other subcommands do not need.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { planStack } = require("../program/plan") as typeof PlanModule;
      const plan = await planStack(stack, config);
      for (const warning of plan.warnings) io.stderr(`warning: ${warning}\n`);
      io.stdout(options.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanTable(plan));
    });
}

/** The stack file a command names: `--config-file`, else `--stack` in `--stacks-dir`. */
export function loadPlanInput(options: Pick<PlanOptions, "configFile" | "stack" | "stacksDir">) {
  if (options.configFile) {
    return { stack: stackNameOf(options.configFile), config: loadConfigFile(options.configFile) };
  }
  if (options.stack) return loadStack(options.stacksDir, options.stack);
  throw new UserFacingError("plan needs --stack <name>, --config-file <path> or --all", ExitCode.invalidInput);
}

/**
 * Every stack of the folder: all are validated first (exit 2 names each file and key at fault,
 * nothing is planned), then planned in a few warm processes (one per core; Pulumi's runtime is
 * global to a process, so not in this one), and the plans are printed in stack order.
 */
async function planAll(options: PlanOptions, io: Io): Promise<void> {
  if (process.env[PLAN_WORKER_ENV] && process.send) return servePlans(options.stacksDir);
  const stacks = listStacks(options.stacksDir);
  if (stacks.length === 0) throw new UserFacingError(`no stack files (Pulumi.<stack>.yaml) in ${options.stacksDir}`, ExitCode.invalidInput);
  const problems = stacks.flatMap((stack) => stackProblems(stackFilePath(options.stacksDir, stack)));
  if (problems.length > 0) throw new ConfigError(problems, `the stack folder ${options.stacksDir}`);

  const plans = new Map<string, Plan>();
  const failures: { stack: string; code: number; stderr: string }[] = [];
  for (const result of await planInWorkers(stacks, options.stacksDir, availableParallelism())) {
    if ("failure" in result) failures.push({ stack: result.stack, ...result.failure });
    else plans.set(result.stack, result.plan);
  }
  if (failures.length > 0) {
    const first = failures.sort((a, b) => a.stack.localeCompare(b.stack))[0]!;
    const reasons = failures.map((f) => `  - ${f.stack}: ${f.stderr.trim().replace(/^retain-m365: /, "") || `exit ${f.code}`}`);
    throw new UserFacingError(`the plan of ${failures.length} of ${stacks.length} stacks failed:\n${reasons.join("\n")}`, first.code as ExitCode);
  }
  const ordered = stacks.map((stack) => plans.get(stack)!);
  for (const plan of ordered) for (const warning of plan.warnings) io.stderr(`warning: stack ${plan.stack}: ${warning}\n`);
  io.stdout(options.json ? `${JSON.stringify({ stacks: ordered }, null, 2)}\n` : ordered.map(renderPlanTable).join("\n"));
}

/** Every problem of one stack file, each prefixed with the file. */
function stackProblems(file: string): string[] {
  try {
    validatedOrThrow(loadConfigFile(file), file);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => `${file}: ${problem}`);
    if (error instanceof UserFacingError) return [error.message];
    throw error;
  }
}
