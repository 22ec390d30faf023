import { Option, type Command } from "commander";
import { loadConfigFile, loadStack, stackNameOf } from "../lib/config/stack-file";
import { ExitCode, UserFacingError } from "../lib/errors";
import type * as PlanModule from "../lib/plan/plan";
import { renderPlanTable } from "../lib/plan/render";
import type { Io } from "./main";

interface PlanOptions {
  stack?: string;
  configFile?: string;
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
    .addOption(new Option("--stack <name>", "tenant stack: reads <stacks-dir>/Pulumi.<name>.yaml").conflicts("configFile"))
    .addOption(new Option("--config-file <path>", "a stack file to plan instead of a named stack"))
    .option("--stacks-dir <dir>", "folder of the stack files", "stacks")
    .option("--json", "print one JSON object shaped like `pulumi preview --json`")
    .action(async (options: PlanOptions) => {
      const { stack, config } = loadPlanInput(options);
      // Loaded on use: the Pulumi SDKs cost a second and ~200 MB that the other subcommands do not need.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { planStack } = require("../lib/plan/plan") as typeof PlanModule;
      const plan = await planStack(stack, config);
      for (const warning of plan.warnings) io.stderr(`warning: ${warning}\n`);
      io.stdout(options.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanTable(plan));
    });
}

function loadPlanInput(options: PlanOptions) {
  if (options.configFile) {
    return { stack: stackNameOf(options.configFile), config: loadConfigFile(options.configFile) };
  }
  if (options.stack) return loadStack(options.stacksDir, options.stack);
  throw new UserFacingError("plan needs --stack <name> or --config-file <path>", ExitCode.invalidInput);
}
