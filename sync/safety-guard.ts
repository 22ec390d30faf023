import { ExitCode, UserFacingError } from "../core/errors";

/** A guard refused to replace the CSVs; the previous files are untouched. */
export class SafetyGuardError extends UserFacingError {
  constructor(message: string) {
    super(`${message}; the previous files are left untouched`, ExitCode.safetyGuard);
  }
}

export interface GuardOptions {
  /** Refuse when the user count drops by more than this percentage. */
  maxShrinkPercent: number;
  /** Replace even when empty or shrunk too much. */
  force: boolean;
}

/**
 * The guards before anything is written (docs/csv-format.md, "Replacing the files", step 2), unless
 * `force`: no mail-enabled user, a previous users file that cannot be counted (`previousUsers` NaN:
 * the shrink guard could not check), or a user count that shrank more than allowed.
 */
export function guardReplacement(usersFile: string, userCount: number, previousUsers: number | undefined, options: GuardOptions): void {
  if (options.force) return;
  if (userCount === 0)
    throw new SafetyGuardError("the directory returned no mail-enabled users; refusing to write empty files (use --force to write them anyway)");
  if (previousUsers !== undefined && Number.isNaN(previousUsers)) {
    throw new SafetyGuardError(`${usersFile} is not a CSV this tool can count, so the shrink guard cannot check the new result; use --force to replace it`);
  }
  if (previousUsers !== undefined && previousUsers > 0) {
    const shrink = ((previousUsers - userCount) / previousUsers) * 100;
    if (shrink > options.maxShrinkPercent) {
      throw new SafetyGuardError(
        `the user count would drop from ${previousUsers} to ${userCount} (${shrink.toFixed(1)}% > --max-shrink-percent ${options.maxShrinkPercent}); use --force if that is right`,
      );
    }
  }
}
