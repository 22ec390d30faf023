import { ExitCode, UserFacingError } from "../core/errors";
import { CLOUDFLARE_API_BASE, CLOUDS } from "./clouds";

// Where a credential, a token or a request may go: the one rule for every endpoint flag
// (`--authority-host`, `--graph-endpoint`, `--exchange-endpoint`, `--compliance-endpoint`,
// `--ews-endpoint`, `--cloudflare-endpoint`, `--autodiscover-url`), for `AZURE_AUTHORITY_HOST`, and for every client
// before it connects. An endpoint is an https URL whose host is the service's own in one of
// Microsoft's clouds (m365/clouds.ts), Cloudflare's API host, or a loopback address (the emulators).
// Used inside dynamic providers, which Pulumi serializes: functions and constants only.

/** The services an endpoint can stand for. */
export type EndpointService = "graph" | "exchange" | "compliance" | "login" | "autodiscover" | "cloudflare";

/** What each service's hosts are called in a refusal. */
const SERVICE_HOSTS: Record<EndpointService, string> = {
  graph: "a Microsoft Graph host",
  exchange: "an Exchange Online host",
  compliance: "a Security & Compliance host",
  login: "an Entra ID login host",
  autodiscover: "an Exchange Online autodiscover host",
  cloudflare: "Cloudflare's API host",
};

/** The hosts a service answers at, in every cloud, lower-case. */
export function serviceHosts(service: EndpointService): string[] {
  const urls: string[] =
    service === "cloudflare"
      ? [CLOUDFLARE_API_BASE]
      : Object.values(CLOUDS).flatMap((cloud) => (service === "autodiscover" ? [...cloud.autodiscover] : [cloud[service]]));
  return [...new Set(urls.map((url) => new URL(url).hostname.toLowerCase()))];
}

/** `localhost`, an IPv4 address in 127.0.0.0/8, or `[::1]` (a URL's hostname): this machine only. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Why `value` cannot be the endpoint of `service`, as a clause ("must be …"); undefined when it can. */
export function endpointProblem(value: string, service: EndpointService): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an https:// URL";
  }
  if (/[\s\p{Cc}]/u.test(value)) return "must be an https:// URL without spaces or control characters";
  if (url.protocol !== "https:") return "must be an https:// URL: credentials and tokens never travel in clear";
  if (url.username || url.password) return "must not carry a user name or password";
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (isLoopbackHost(host) || serviceHosts(service).includes(host)) return undefined;
  if (service === "compliance" && isRegionalComplianceHost(host)) return undefined;
  const regional =
    service === "compliance" ? `, a regional host <name>.${[...new Set(serviceHosts("compliance").map(complianceRegionalDomain))].join(" or <name>.")}` : "";
  return `must be ${SERVICE_HOSTS[service]} (${serviceHosts(service).join(", ")}${regional}) or a loopback address (127.0.0.1, ::1, localhost) for an emulator`;
}

/**
 * The domain a Security & Compliance endpoint's regional hosts live under: the endpoint's host
 * without a first label other than "ps" (`l5.ps.compliance.protection.office365.us` →
 * `ps.compliance.protection.office365.us`). CIPP's New-ExoRequest names the regional host as the
 * first label of the AutogenSession redirect's host + `.ps.compliance.protection.outlook.com`
 * (docs/microsoft-365.md, "Security & Compliance"; the national clouds' domains are assumed alike).
 */
export function complianceRegionalDomain(endpointHost: string): string {
  const host = endpointHost.toLowerCase().replace(/\.$/, "");
  return host.startsWith("ps.") ? host : host.slice(host.indexOf(".") + 1);
}

/** One label under the regional domain of one of the clouds' Security & Compliance endpoints. */
function isRegionalComplianceHost(host: string): boolean {
  const dot = host.indexOf(".");
  return (
    /^[a-z0-9-]{1,63}$/.test(host.slice(0, dot)) && serviceHosts("compliance").some((endpoint) => complianceRegionalDomain(endpoint) === host.slice(dot + 1))
  );
}

/**
 * `value` when it may be `service`'s endpoint; otherwise exit 2 naming `named` (the flag, the
 * variable, or the client's endpoint), before anything connects.
 */
export function checkedEndpoint(value: string, service: EndpointService, named: string): string {
  const problem = endpointProblem(value, service);
  if (problem !== undefined) throw new UserFacingError(`${named} ${problem} (got ${JSON.stringify(value)})`, ExitCode.invalidInput);
  return value;
}

/** Whether `link` (an `@odata.nextLink`, a delta link) stays on the origin of `base`: nothing else is followed. */
export function isSameOrigin(link: string, base: string): boolean {
  try {
    return new URL(link).origin === new URL(base).origin;
  } catch {
    return false;
  }
}
