import type * as Pulumi from "@pulumi/pulumi";
import { ExitCode, UserFacingError } from "../core/errors";

/**
 * The oldest Pulumi CLI that runs this program. Resource hooks (the first directory sync) came in
 * 3.182.0, but the engine's `RequirePulumiVersion` RPC, which the program asks before declaring
 * anything, came only in 3.217.0 (pulumi/pulumi CHANGELOG; sdk/nodejs/runtime/settings.ts): a CLI
 * from 3.182 to 3.216 answers it UNIMPLEMENTED, so 3.217.0 is the real minimum.
 */
export const MINIMUM_PULUMI_CLI = "3.217.0";

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
  /** `cliAnswer`: what the CLI said; undefined when it could not answer the check at all (older than the RPC). */
  constructor(readonly cliAnswer: string | undefined) {
    super(
      cliAnswer === undefined
        ? `this program needs Pulumi CLI ${MINIMUM_PULUMI_CLI} or later, and the Pulumi CLI running it is older than ` +
            `${MINIMUM_PULUMI_CLI} (it cannot answer the program's version check); get a newer one from ${PULUMI_CLI_INSTALL_URL}`
        : `this program needs Pulumi CLI ${MINIMUM_PULUMI_CLI} or later, and the Pulumi CLI running it refused: ${cliAnswer}; ` +
            `get a newer one from ${PULUMI_CLI_INSTALL_URL}`,
      ExitCode.invalidInput,
    );
  }
}

/**
 * Fails before anything is declared when the Pulumi CLI running the program is older than
 * {@link MINIMUM_PULUMI_CLI}, with one sentence that says so (never "needs X" beside a CLI newer
 * than X). Without an engine (Pulumi's mock runtime: tests, `retain-m365 plan`) the check passes.
 */
export async function requirePulumiCli(check: PulumiVersionCheck = sdkVersionCheck): Promise<void> {
  try {
    await check(`>=${MINIMUM_PULUMI_CLI}`);
  } catch (error) {
    throw new PulumiCliTooOldError(lacksTheCheck(error) ? undefined : cliAnswerOf(error));
  }
}

/**
 * A CLI older than the `RequirePulumiVersion` RPC: grpc's UNIMPLEMENTED (code 12), or the SDK's own
 * error for it ("…does not support the `RequirePulumiVersion` RPC", @pulumi/pulumi runtime/settings).
 */
function lacksTheCheck(error: unknown): boolean {
  if ((error as { code?: unknown } | null)?.code === 12) return true;
  return error instanceof Error && /does not support the `?RequirePulumiVersion`? RPC/.test(error.message);
}

/**
 * What the CLI said, as one clause: a gRPC error's status details (the real CLI's refusal), else the
 * error's message, first sentence only, on one line.
 */
function cliAnswerOf(error: unknown): string {
  const details = (error as { details?: unknown } | null)?.details;
  const text = typeof details === "string" && details ? details : error instanceof Error ? error.message : String(error);
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.split(/\.(?: |$)/)[0] || "no reason given";
}
