import { execFileSync } from "node:child_process";
import type { Command } from "commander";
import { GUID } from "../config/schema";
import { loadStack } from "../config/stack-file";
import { validateConfig } from "../config/validate";
import { ConfigError, ExitCode, UserFacingError } from "../core/errors";

/** Which tenant and app a sync runs for: `--stack`, or `--tenant-id` and `--client-id`. */
export interface SyncTargetOptions {
  stack?: string;
  stacksDir: string;
  tenantId?: string;
  clientId?: string;
  out?: string;
  backups?: number;
  maxShrinkPercent?: number;
}

/** Resolves the tenant, the app and the settings a stack knows into options the user did not give. */
export function resolveSyncTarget(options: SyncTargetOptions, command: Command): { tenantId: string; clientId: string; outputDir?: string } {
  let outputDir: string | undefined;
  if (options.stack) outputDir = applyStack(options, command);
  return { ...requireIds(options), outputDir };
}

/** Fills what the stack knows into the options the user did not give. */
function applyStack(options: SyncTargetOptions, command: Command): string {
  const stack = loadStack(options.stacksDir, options.stack as string);
  const validation = validateConfig(stack.config);
  if (!validation.ok) throw new ConfigError(validation.errors, `stack ${stack.stack}`);
  const { config } = validation;
  options.tenantId = config.tenantId;
  options.clientId ??= stackOutput(stack.stack, "applicationClientId");
  if (command.getOptionValueSource("backups") === "default") options.backups = config.directorySync.backups;
  if (command.getOptionValueSource("maxShrinkPercent") === "default") options.maxShrinkPercent = config.directorySync.maxShrinkPercent;
  return config.directorySync.outputDir;
}

/** A stack output, read with the Pulumi CLI (logged in to the stack's backend). */
function stackOutput(stack: string, name: string): string {
  let text: string;
  try {
    text = execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    const why = e.code === "ENOENT" ? "the Pulumi CLI is not on PATH" : (e.stderr?.trim().split("\n")[0] ?? e.message);
    throw new UserFacingError(`--stack ${stack}: cannot read the output ${name} (${why}); pass --client-id instead`, ExitCode.invalidInput);
  }
  let outputs: Record<string, unknown>;
  try {
    outputs = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UserFacingError(`--stack ${stack}: \`pulumi stack output --json\` did not answer JSON; pass --client-id instead`, ExitCode.invalidInput);
  }
  const value = outputs[name];
  if (typeof value !== "string" || !value) throw new UserFacingError(`--stack ${stack}: the stack has no output ${name} yet (deploy it first, or pass --client-id)`, ExitCode.invalidInput);
  return value;
}

function requireIds(options: SyncTargetOptions): { tenantId: string; clientId: string } {
  const problems: string[] = [];
  if (!options.tenantId) problems.push("--tenant-id (or --stack) is required");
  else if (!GUID.test(options.tenantId)) problems.push(`--tenant-id must be a GUID (got "${options.tenantId}")`);
  if (!options.clientId) problems.push("--client-id is required");
  else if (!GUID.test(options.clientId)) problems.push(`--client-id must be a GUID (got "${options.clientId}")`);
  if (problems.length > 0) throw new UserFacingError(problems.join("; "), ExitCode.invalidInput);
  return { tenantId: options.tenantId as string, clientId: options.clientId as string };
}

