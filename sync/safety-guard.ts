import { ExitCode, UserFacingError } from "../core/errors";

/** A guard refused to replace the CSVs; the previous files are untouched. */
export class SafetyGuardError extends UserFacingError {
  constructor(message: string) {
    super(`${message}; the previous files are left untouched`, ExitCode.safetyGuard);
  }
}
