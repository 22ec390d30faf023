import type * as Pulumi from "@pulumi/pulumi";
import { ExitCode, UserFacingError } from "../core/errors";

/** The oldest Pulumi CLI that runs this program: resource hooks (the first directory sync) came in 3.182.0. */
export const MINIMUM_PULUMI_CLI = "3.182.0";

export const PULUMI_CLI_INSTALL_URL = "https://www.pulumi.com/docs/install/";

/** Asks the Pulumi CLI running the program whether its version is in a range; rejects if not. */
export type PulumiVersionCheck = (range: string) => Promise<void>;

/** Pulumi's own check (the engine's `RequirePulumiVersion` RPC), loaded on use so the constant costs nothing. */
const sdkVersionCheck: PulumiVersionCheck = (range) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require("@pulumi/pulumi") as typeof Pulumi;
  return pulumi.runtime.requirePulumiVersion(range);
};

/**
 * The Pulumi CLI running the program is too old for it. Exit 2 (invalid input): the contract's
 * code for "this environment or configuration cannot run", like a config error.
 */
export class PulumiCliTooOldError extends UserFacingError {
  constructor(readonly cliAnswer: string) {
    super(
      `this program needs Pulumi CLI ${MINIMUM_PULUMI_CLI} or later, because it runs the first directory sync from a ` +
        `resource hook, and the Pulumi CLI running it refused: ${cliAnswer}; get a newer one from ${PULUMI_CLI_INSTALL_URL}`,
      ExitCode.invalidInput,
    );
  }
}

/**
 * Fails before anything is declared when the Pulumi CLI running the program is older than
 * {@link MINIMUM_PULUMI_CLI}; an older CLI would fail later, on the hook, with "does not support
 * resource hooks". Without an engine (Pulumi's mock runtime: tests, `retain-m365 plan`) the check passes.
 */
export async function requirePulumiCli(check: PulumiVersionCheck = sdkVersionCheck): Promise<void> {
  try {
    await check(`>=${MINIMUM_PULUMI_CLI}`);
  } catch (error) {
    throw new PulumiCliTooOldError(cliAnswerOf(error));
  }
}

/**
 * What the CLI said, as one clause: a gRPC error's status details (the real CLI's refusal), else the
 * SDK's message (its "does not support the `RequirePulumiVersion` RPC" for a CLI older than the
 * check), first sentence only, on one line.
 */
function cliAnswerOf(error: unknown): string {
  const details = (error as { details?: unknown } | null)?.details;
  const text = typeof details === "string" && details ? details : error instanceof Error ? error.message : String(error);
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.split(/\.(?: |$)/)[0] || "no reason given";
}

