import { statSync } from "node:fs";
import { isIP } from "node:net";
import { isDnsName } from "../core/dns-name";
import { ExitCode, UserFacingError } from "../core/errors";
import { checkedEndpoint, type EndpointService } from "../m365/endpoints";

// Parsers for the flags' values: a value no command could use is refused here, exit 2, naming the flag.

const refuse = (message: string) => new UserFacingError(message, ExitCode.invalidInput);

/** A value as it can be shown in a one-line message: control characters written as escapes. */
function shown(value: string): string {
  return JSON.stringify(value);
}

/** Pulumi's rule for stack names: letters, digits, "-", "_" and "." (the file is Pulumi.<stack>.yaml). */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function stackName(value: string): string {
  if (!STACK_NAME.test(value) || /^\.+$/.test(value)) {
    throw refuse(`--stack must be a stack name of letters, digits, "-", "_" and "." (got ${shown(value)})`);
  }
  return value;
}

/** `verify --domain`: a DNS name as the zone holds it; upper case and a final dot are accepted. */
export function dnsDomain(value: string, previous: string[] | undefined): string[] {
  const name = value.toLowerCase().replace(/\.$/, "");
  if (!isDnsName(name)) throw refuse(`--domain ${shown(value)} is not a DNS domain name (labels of a-z, 0-9 and "-", separated by dots)`);
  return [...(previous ?? []), name];
}

/** `--resolver`: an IPv4 or IPv6 address, with a port as `1.2.3.4:53` or `[::1]:53`. */
export function resolverAddress(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
  const withPort = /^([\d.]+):(\d{1,5})$/.exec(value);
  const [address, port] = bracketed ? [bracketed[1]!, bracketed[2]] : withPort ? [withPort[1]!, withPort[2]] : [value, undefined];
  const family = isIP(address);
  const portOk = port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
  if (family === 0 || !portOk || (bracketed && family !== 6)) {
    throw refuse(`--resolver must be an IP address, optionally with a port (1.2.3.4, 1.2.3.4:53, ::1 or [::1]:53) (got ${shown(value)})`);
  }
  return value;
}

/** Which service each endpoint flag names (m365/endpoints.ts holds the rule). */
const ENDPOINT_FLAGS = {
  "--authority-host": "login",
  "--graph-endpoint": "graph",
  "--exchange-endpoint": "exchange",
  "--compliance-endpoint": "compliance",
  "--ews-endpoint": "exchange",
  "--cloudflare-endpoint": "cloudflare",
  "--autodiscover-url": "autodiscover",
} as const satisfies Record<string, EndpointService>;
export type EndpointFlag = keyof typeof ENDPOINT_FLAGS;

/**
 * An endpoint flag: an https URL of the service's own host in one of Microsoft's clouds (or
 * Cloudflare's), or a loopback address (an emulator); anything else exit 2, naming the flag,
 * before anything connects.
 */
export const endpointUrl =
  (flag: EndpointFlag) =>
  (value: string): string =>
    checkedEndpoint(value, ENDPOINT_FLAGS[flag], flag);

/** `--mailbox`: an address, name@domain. */
export function mailboxAddress(value: string): string {
  const at = value.lastIndexOf("@");
  if (at < 1 || !isDnsName(value.slice(at + 1).toLowerCase()) || /[\s\p{Cc}"<>]/u.test(value)) {
    throw refuse(`--mailbox must be a mail address such as worker@contoso.com (got ${shown(value)})`);
  }
  return value;
}

/** A folder the command writes into: missing is fine (it is created), a file in its place is not. */
export function checkWritableFolder(folder: string, named: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(folder).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    throw refuse(`${named} ${folder} cannot be used as a folder (${code ?? "error"})`);
  }
  if (!isDirectory) throw refuse(`${named} ${folder} is a file, not a folder`);
}

/** `--changed-since`: a commit or ref as git names it; never an option (a leading "-"), never a range. */
export function gitRevision(value: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_./@{}~^-]*$/.test(value) || value.includes("..") || value.length > 256) {
    throw refuse(`--changed-since must be a commit or ref such as main, origin/main or a commit id (got ${shown(value)})`);
  }
  return value;
}
