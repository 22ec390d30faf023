import { execFileSync } from "node:child_process";
import { DIRECTORY_SYNC_DEFAULTS } from "../config/defaults";
import type * as StackFileModule from "../config/stack-file";
import { ExitCode, UserFacingError } from "../core/errors";
import { GUID } from "../m365/ids";

/** What the user said about the sync's tenant, app, folder and guards: `--stack`, or the values themselves. */
export interface SyncTargetOptions {
  stack?: string;
  stacksDir: string;
  tenantId?: string;
  clientId?: string;
  out?: string;
  backups?: number;
  maxShrinkPercent?: number;
}

/** A sync's tenant, app, output folder and guards: each from its flag, else from the stack, else the default. */
export interface SyncTarget {
  tenantId: string;
  clientId: string;
  /** `--out`, else the stack's directorySync.outputDir; undefined without either. */
  outDir?: string;
  /** True when `outDir` is the stack's directorySync.outputDir. */
  outDirFromStack: boolean;
  /** When the client secret expires: the stack output applicationSecretExpires, when the outputs were read and have it. */
  secretExpires?: string;
  backups: number;
  maxShrinkPercent: number;
}

/**
 * The target, each value from its flag, else the stack, else the default. `required` names what else
 * the command cannot run without (the output folder, a credential): every missing value is one
 * refusal, listed together, before anything connects.
 */
export function resolveSyncTarget(options: SyncTargetOptions, required: { outDir?: boolean; otherProblems?: string[] } = {}): SyncTarget {
  // The stack file's schema (zod) and YAML parser load only when a stack is named, so the nightly job starts quickly.
  const stack =
    options.stack === undefined
      ? undefined
      : // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require("../config/stack-file") as typeof StackFileModule).loadValidatedStack(options.stacksDir, options.stack);
  const tenantId = stack?.config.tenantId ?? options.tenantId;
  const outputs = options.clientId === undefined && stack ? stackOutputs(stack.stack, "applicationClientId") : undefined;
  const clientId = options.clientId ?? (outputs ? requiredOutput(outputs, stack!.stack, "applicationClientId") : undefined);
  const secretExpires = outputs?.applicationSecretExpires;
  const directorySync = stack?.config.directorySync ?? DIRECTORY_SYNC_DEFAULTS;
  const outDir = options.out ?? stack?.config.directorySync.outputDir;
  const problems = [...(required.outDir && outDir === undefined ? ["--out <dir> (or --stack) is required"] : []), ...(required.otherProblems ?? [])];
  return {
    ...requireIds(tenantId, clientId, problems),
    outDir,
    outDirFromStack: options.out === undefined && stack !== undefined,
    backups: options.backups ?? directorySync.backups,
    maxShrinkPercent: options.maxShrinkPercent ?? directorySync.maxShrinkPercent,
    ...(typeof secretExpires === "string" && secretExpires ? { secretExpires } : {}),
  };
}

/** The stack's outputs, read with the Pulumi CLI (logged in to the stack's backend) for the output `name`. */
function stackOutputs(stack: string, name: string): Record<string, unknown> {
  let text: string;
  try {
    text = execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    const why = e.code === "ENOENT" ? "the Pulumi CLI is not on PATH" : (e.stderr?.trim().split("\n")[0] ?? e.message);
    throw new UserFacingError(`--stack ${stack}: cannot read the output ${name} (${why}); pass --client-id instead`, ExitCode.invalidInput);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UserFacingError(`--stack ${stack}: \`pulumi stack output --json\` did not answer JSON; pass --client-id instead`, ExitCode.invalidInput);
  }
}

function requiredOutput(outputs: Record<string, unknown>, stack: string, name: string): string {
  const value = outputs[name];
  if (typeof value !== "string" || !value)
    throw new UserFacingError(`--stack ${stack}: the stack has no output ${name} yet (deploy it first, or pass --client-id)`, ExitCode.invalidInput);
  return value;
}

function requireIds(tenantId: string | undefined, clientId: string | undefined, otherProblems: string[]): { tenantId: string; clientId: string } {
  const problems: string[] = [];
  if (!tenantId) problems.push("--tenant-id (or --stack) is required");
  else if (!GUID.test(tenantId)) problems.push(`--tenant-id must be a GUID (got "${tenantId}")`);
  if (!clientId) problems.push("--client-id is required");
  else if (!GUID.test(clientId)) problems.push(`--client-id must be a GUID (got "${clientId}")`);
  problems.push(...otherProblems);
  if (problems.length > 0) throw new UserFacingError(problems.join("; "), ExitCode.invalidInput);
  return { tenantId: tenantId as string, clientId: clientId as string };
}
