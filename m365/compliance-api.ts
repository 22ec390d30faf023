import { checkedEndpoint, complianceRegionalDomain, isLoopbackHost } from "./endpoints";
import { deployingIdentity, type DeployingIdentity } from "./credentials";
import {
  anchorMailbox,
  exchangeCommandError,
  invokeAdminCommand,
  type AdminApiTarget,
  type CmdletParameters,
  type ExchangeObject,
  type ListingOptions,
} from "./exchange-admin-api";
import { sendWithRetry } from "./rest";

// Security & Compliance PowerShell's cmdlets (retention policies, holds) as the REST module runs
// them (ExchangeOnlineManagement 3.2.0 or later, app-only), the way CIPP's New-ExoRequest
// -Compliance calls them (KelvinTegelaar/CIPP-API, Modules/CIPPCore/Public/GraphHelper/New-ExoRequest.ps1):
// a token for the cloud's Security & Compliance endpoint; the tenant's regional host from the
// redirect of `EXOBanner('AutogenSession')`; then the Exchange admin API's InvokeCommand there.
// Used inside dynamic providers (serialized by Pulumi): functions and constants only.

export interface ComplianceTarget {
  tenantId: string;
  /** The cloud's Security & Compliance base URL (m365/clouds.ts `compliance`): where the regional host is asked, and the token's audience. */
  complianceEndpoint: string;
  /** The deploying identity a command's calls share; without it, each client signs in on its own (the providers). */
  identity?: DeployingIdentity;
}
export type ComplianceObject = ExchangeObject;

/** Who refuses, in errors. */
export const COMPLIANCE_SERVICE = "Security & Compliance";

/** The module version the AutogenSession request names (CIPP's New-ExoRequest's `$ModuleVersion` default). */
export const COMPLIANCE_MODULE_VERSION = "3.7.1";

/**
 * The regional base URL from the AutogenSession redirect's `Location`: its host's first label under
 * the endpoint's regional domain, without the redirect's port (CIPP: `'{0}.ps.compliance.protection.outlook.com' -f
 * ($RedirectedHost -split '\.' | Select-Object -First 1)`, `https://` + that). A loopback endpoint
 * (an emulator) may redirect to a loopback origin, which is taken as it is. Undefined when the
 * location names no host this rule can use.
 */
export function regionalComplianceBase(endpoint: string, location: string | undefined): string | undefined {
  if (!location) return undefined;
  let redirected: URL;
  try {
    redirected = new URL(location, endpoint);
  } catch {
    return undefined;
  }
  const endpointHost = new URL(endpoint).hostname;
  if (isLoopbackHost(redirected.hostname)) return isLoopbackHost(endpointHost) ? redirected.origin : undefined;
  const label = redirected.hostname.toLowerCase().split(".")[0] ?? "";
  if (!/^[a-z0-9-]{1,63}$/.test(label)) return undefined;
  return `https://${label}.${complianceRegionalDomain(endpointHost)}`;
}

/**
 * A client for one tenant's Security & Compliance cmdlets. The regional host is asked once, on the
 * first command (again after a failure); every command then goes to it with a token for the
 * endpoint's own origin, as CIPP asks for `https://ps.compliance.protection.outlook.com/.default`.
 */
export function complianceClient(target: ComplianceTarget) {
  const endpoint = checkedEndpoint(target.complianceEndpoint, "compliance", "the Security & Compliance endpoint").replace(/\/+$/, "");
  const scope = `${new URL(endpoint).origin}/.default`;
  const identity = target.identity ?? deployingIdentity(target.tenantId);
  let regional: Promise<AdminApiTarget> | undefined;
  const resolve = async (): Promise<AdminApiTarget> => {
    const url = `${endpoint}/adminapi/beta/${encodeURIComponent(target.tenantId)}/EXOBanner('AutogenSession')?Version=${COMPLIANCE_MODULE_VERSION}`;
    const answer = await sendWithRetry({
      tenantId: target.tenantId,
      method: "GET",
      url,
      scope,
      headers: { "X-AnchorMailbox": anchorMailbox(target.tenantId) },
      identity,
      followRedirects: false,
    });
    const base = regionalComplianceBase(endpoint, answer.location);
    if (answer.status >= 400 || base === undefined) {
      const why = answer.status >= 400 ? answer.json : { error: { message: `answered HTTP ${answer.status} without a regional host to redirect to` } };
      throw exchangeCommandError("EXOBanner('AutogenSession')", {}, answer.status >= 400 ? answer.status : 502, why, COMPLIANCE_SERVICE);
    }
    return {
      tenantId: target.tenantId,
      base: checkedEndpoint(base, "compliance", "the regional Security & Compliance host"),
      scope,
      service: COMPLIANCE_SERVICE,
      identity,
    };
  };
  const api = () =>
    (regional ??= resolve().catch((error: unknown) => {
      regional = undefined;
      throw error;
    }));
  return {
    /** Runs one cmdlet at the tenant's regional host: every result object, as `invokeCommand` gives Exchange's. */
    invoke: async (cmdlet: string, parameters: CmdletParameters = {}, listing: ListingOptions = {}): Promise<ComplianceObject[]> =>
      invokeAdminCommand(await api(), cmdlet, parameters, listing),
  };
}
export type ComplianceClient = ReturnType<typeof complianceClient>;
