/** Exit codes shared by every `retain-m365` subcommand (docs/cli.md, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  invalidInput: 2,
  auth: 3,
  remoteService: 4,
  safetyGuard: 5,
  /** `status`: the nightly sync is unhealthy. */
  unhealthy: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error whose message is meant for the user as it is, with the exit code it maps to. */
export class UserFacingError extends Error {
  /** Pulumi's Node runtime shows an error with this marker (its `RunError`) as the message alone, without a stack trace. */
  readonly __pulumiRunError = true;

  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Invalid stack configuration: every problem found, each naming its full key path. */
export class ConfigError extends UserFacingError {
  constructor(
    readonly problems: readonly string[],
    source = "the stack configuration",
  ) {
    super(
      `${source} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` + problems.map((p) => `  - ${p}`).join("\n"),
      ExitCode.invalidInput,
      problems,
    );
  }
}

const PATH_ERROR_CODES = new Set(["ENOENT", "ENOTDIR", "EISDIR", "EEXIST", "EACCES", "EPERM", "ENAMETOOLONG", "ELOOP", "EROFS"]);

/** A file or folder the user named that cannot be used as it is (Node's error with its path): invalid input, whichever command met it. */
export function fileSystemRefusal(error: unknown): UserFacingError | undefined {
  const { code, path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (code === undefined || path === undefined || !PATH_ERROR_CODES.has(code)) return undefined;
  return new UserFacingError(`cannot ${syscall ?? "use"} ${JSON.stringify(path)} (${code})`, ExitCode.invalidInput);
}
