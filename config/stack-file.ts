import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type * as Yaml from "yaml";
import { ConfigError, ExitCode, UserFacingError } from "../core/errors";
import { NAMESPACE } from "./defaults";
import type { TenantConfig } from "./schema";
import { validatedOrThrow, type RawConfig } from "./validate";

export interface StackFile {
  /** Stack name: `example` for `Pulumi.example.yaml`. */
  stack: string;
  file: string;
  config: RawConfig;
}

const STACK_FILE_NAME = /^Pulumi\.(.+)\.ya?ml$/;

/** `example` for `Pulumi.example.yaml`; other names without their .yaml ending. */
export function stackNameOf(file: string): string {
  const base = path.basename(file);
  return STACK_FILE_NAME.exec(base)?.[1] ?? base.replace(/\.ya?ml$/, "");
}

export function stackFilePath(stacksDir: string, stack: string): string {
  return path.join(stacksDir, `Pulumi.${stack}.yaml`);
}

/**
 * Pulumi's rule for stack names: 1 to 100 letters, digits, "-", "_" and "." (and not only dots,
 * which would name a folder). The same rule as `--stack` (cli/arguments.ts). Stack names reach
 * shells, jq, GitHub environment names and issue titles in the workflows: nothing else gets that far.
 */
export function isStackName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,100}$/.test(name) && !/^\.+$/.test(name);
}

/**
 * Stack names that have a `Pulumi.<stack>.yaml` in `stacksDir`, sorted. A stack file whose name
 * is not a stack name Pulumi allows is refused (exit 2, naming the file), not skipped: Pulumi
 * could not deploy it, and the workflows that list the stacks must not carry the name further.
 */
export function listStacks(stacksDir: string): string[] {
  if (!existsSync(stacksDir)) return [];
  let names: string[];
  try {
    names = readdirSync(stacksDir);
  } catch (error) {
    throw new UserFacingError(`cannot read the stack folder ${stacksDir} (${(error as NodeJS.ErrnoException).code ?? "error"})`, ExitCode.invalidInput);
  }
  const stacks = names
    .map((name) => ({ file: name, stack: STACK_FILE_NAME.exec(name)?.[1] }))
    .filter((entry): entry is { file: string; stack: string } => entry.stack !== undefined);
  const refused = stacks.find(({ stack }) => !isStackName(stack));
  if (refused) {
    throw new UserFacingError(
      `stack file ${JSON.stringify(path.join(stacksDir, refused.file))}: ${JSON.stringify(refused.stack)} is not a stack name Pulumi allows (1 to 100 letters, digits, "-", "_" and "."); rename the file`,
      ExitCode.invalidInput,
    );
  }
  return stacks.map(({ stack }) => stack).sort();
}

export function loadStack(stacksDir: string, stack: string): StackFile {
  const file = stackFilePath(stacksDir, stack);
  if (!existsSync(file)) {
    const known = listStacks(stacksDir);
    throw new UserFacingError(`no stack file ${file}${known.length ? ` (stacks there: ${known.join(", ")})` : ""}`, ExitCode.invalidInput);
  }
  return { stack, file, config: loadConfigFile(file) };
}

/** A stack file's validated configuration; a ConfigError naming the stack lists every problem. */
export function loadValidatedStack(stacksDir: string, stack: string): { stack: string; file: string; config: TenantConfig; warnings: string[] } {
  const loaded = loadStack(stacksDir, stack);
  return { stack, file: loaded.file, ...validatedOrThrow(loaded.config, `stack ${stack}`) };
}

/**
 * Reads the `config:` block of a Pulumi stack file. Encrypted (`secure:`) values cannot be read
 * offline; they are kept as secrets without a value.
 */
export function loadConfigFile(file: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UserFacingError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, ExitCode.invalidInput);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const document = (require("yaml") as typeof Yaml).parseDocument(text); // loaded only to read a stack file
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((e) => `line ${e.linePos?.[0].line ?? "?"}: ${e.message.split("\n")[0]}`),
      `${file} is not valid YAML and`,
    );
  }
  let root: unknown;
  try {
    root = document.toJS();
  } catch (error) {
    // The parser's own guards (an alias expanding past its limit, a "billion laughs" file) are bad input.
    throw new ConfigError([(error as Error).message.split("\n")[0] ?? "cannot be read"], `${file} is not valid YAML and`);
  }
  if (root === null || typeof root !== "object" || Array.isArray(root)) {
    throw new ConfigError(["the file must be a mapping with a config: block"], file);
  }
  const block = (root as Record<string, unknown>).config;
  if (block === undefined || block === null) return {};
  if (typeof block !== "object" || Array.isArray(block)) {
    throw new ConfigError(["config: must be a mapping of keys to values"], file);
  }
  const config: RawConfig = {};
  for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
    const fullKey = key.includes(":") ? key : `${NAMESPACE}:${key}`;
    config[fullKey] = isSecureValue(value) ? { value: undefined, secret: true } : { value, secret: false };
  }
  return config;
}

function isSecureValue(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}
