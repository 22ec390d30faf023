import { ExitCode, UserFacingError } from "../core/errors";
import { isWritable, UNWRITABLE_REASON } from "../core/writable-text";

// The one place for the quoting rules of what we generate for an administrator to install: systemd
// units (systemd.syntax(7), systemd.service(5) "Command lines", systemd.unit(5) "Specifiers"), Task
// Scheduler XML, Windows command lines (CommandLineToArgvW, cmd.exe for a .cmd launcher) and POSIX
// shell words. A value is written so it reads back as itself, or refused (exit 2) naming where it
// came from — never written so it could add a line, a directive, an element or a command.

const refuse = (named: string, value: string, why: string) => new UserFacingError(`${named} ${why} (got ${JSON.stringify(value)})`, ExitCode.invalidInput);

export function checkWritable(value: string, named: string): string {
  if (!isWritable(value)) throw refuse(named, value, UNWRITABLE_REASON);
  return value;
}

/** `%` starts a specifier in every setting we write. */
const systemdSpecifiersEscaped = (value: string) => value.replace(/%/g, "%%");

/** A double-quoted systemd word: backslash and double quote escaped, as systemd's word splitting reads them. */
const systemdQuoted = (value: string) => `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
const needsSystemdQuotes = (value: string) => value === "" || /[\s"'\\;]/.test(value);

/** One word of ExecStart=: `%` and `$` (variable expansion) doubled, quoted when needed. */
export function systemdExecWord(value: string, named: string): string {
  const escaped = systemdSpecifiersEscaped(checkWritable(value, named)).replace(/\$/g, "$$$$");
  return needsSystemdQuotes(escaped) ? systemdQuoted(escaped) : escaped;
}

/** The program of ExecStart=: systemd expands variables in its arguments only, so a `$` in the program's path cannot be written. */
export function systemdProgram(value: string, named: string): string {
  if (value.includes("$")) throw refuse(named, value, "must not contain $ in the program a systemd job starts");
  return systemdExecWord(value, named);
}

function checkNormalizedAbsolute(value: string, named: string): void {
  checkWritable(value, named);
  if (!value.startsWith("/")) throw refuse(named, value, "must be an absolute path for systemd");
  if (/\/\/|\/\.\.?(\/|$)|.\/$/.test(value))
    throw refuse(named, value, 'must be a normalized path for systemd (no "//", "." or ".." segments, no trailing "/")');
}

/** One path of ReadWritePaths=: specifiers escaped, quoted when needed (the setting expands no variables). */
export function systemdPath(value: string, named: string): string {
  checkNormalizedAbsolute(value, named);
  const escaped = systemdSpecifiersEscaped(value);
  return needsSystemdQuotes(escaped) ? systemdQuoted(escaped) : escaped;
}

/** The source of LoadCredential=ID:PATH: the rest of the line as it is, so no quotes, no surrounding spaces, no final backslash (a continuation). */
export function systemdCredentialSource(value: string, named: string): string {
  checkNormalizedAbsolute(value, named);
  if (/^\s|\s$|\\$/.test(value)) throw refuse(named, value, "must not start or end with a space, or end with a backslash, in a systemd unit");
  return systemdSpecifiersEscaped(value);
}

/** User=: a user name as systemd accepts it (its relaxed rules: no ":" or "/", no surrounding spaces, not "." or ".."), or a numeric id. */
/**
 * Accounts the whole system shares: a job running as one of them gives whoever else runs as it
 * (every service under NETWORK SERVICE, say) Retain's app credential and the CSV folder.
 */
const SHARED_LINUX_ACCOUNTS = /^(?:root|0|nobody|65534)$/;
const SHARED_WINDOWS_ACCOUNTS = /^(?:S-1-5-(?:18|19|20)|(?:NT AUTHORITY\\)?(?:SYSTEM|LOCAL ?SERVICE|NETWORK ?SERVICE)|LocalSystem)$/i;

function refuseSharedAccount(value: string, named: string, shared: RegExp): void {
  if (!shared.test(value.trim())) return;
  throw new UserFacingError(
    `${named} ${value} is an account the whole system shares: run the job as an account of its own (a dedicated user, or on Windows a group managed service account such as DOMAIN\\retain-m365$), which alone can read Retain's app credential`,
    ExitCode.invalidInput,
  );
}

export function systemdUser(value: string, named: string): string {
  checkWritable(value, named);
  refuseSharedAccount(value, named, SHARED_LINUX_ACCOUNTS);
  if (value === "" || value === "." || value === ".." || /[:/]/.test(value) || /^\s|\s$|\\$/.test(value) || value.length > 256) {
    throw refuse(named, value, 'must be a user name systemd accepts (no ":" or "/", no surrounding spaces, no final backslash) or a numeric id');
  }
  return systemdSpecifiersEscaped(value);
}

/** Text or an attribute value of XML 1.0. */
export function xmlText(value: string, named: string): string {
  return checkWritable(value, named).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/**
 * One word of a Windows command line that a .cmd launcher also sees: cmd.exe expands `%` even
 * inside quotes and no path holds `"`, so both are refused; a word with spaces or a character cmd.exe
 * treats specially is double-quoted, its final backslashes doubled so the quote still closes it.
 */
export function windowsWord(value: string, named: string): string {
  windowsVerbatim(value, named);
  if (value !== "" && !/[\s&|<>^(),;=!']/.test(value)) return value;
  return `"${value.replace(/(\\+)$/, "$1$1")}"`;
}

/** A value Task Scheduler and cmd.exe take as it is: `%` would expand a variable (in <Command> too), `"` would end a quoted word. */
export function windowsVerbatim(value: string, named: string): string {
  checkWritable(value, named);
  if (/["%]/.test(value)) throw refuse(named, value, "must not contain a double quote or % in a Windows task");
  return value;
}

/** A Windows account: a name, DOMAIN\name, name@domain or a SID, without the characters Windows refuses in names. */
export function windowsUser(value: string, named: string): string {
  checkWritable(value, named);
  refuseSharedAccount(value, named, SHARED_WINDOWS_ACCOUNTS);
  if (!/^(?:[^\\"/[\]:;|=,+*?<>]+\\)?[^\\"/[\]:;|=,+*?<>]+$/.test(value) || /^\s|\s$|\.$/.test(value)) {
    throw refuse(named, value, "must be a Windows account (name, DOMAIN\\name, name@domain or a SID)");
  }
  return value;
}

/** One POSIX shell word: as it is when only safe characters, else single-quoted. */
export function shellWord(value: string, named: string): string {
  checkWritable(value, named);
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
