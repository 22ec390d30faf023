import { ExitCode, UserFacingError } from "../core/errors";
import { checkedEndpoint, isSameOrigin } from "./endpoints";
import { deployingIdentity, type DeployingIdentity } from "./credentials";
import { sendWithRetry } from "./rest";
import type { RetryPolicy } from "../core/retry";

// Used inside dynamic providers (serialized by Pulumi): functions only, no module-level values
// other than constants.

/**
 * The routing hint every admin API request carries: the tenant's system mailbox, as the module and
 * CIPP's New-ExoRequest send it (`X-AnchorMailbox`), for Exchange and Security & Compliance alike.
 */
export const anchorMailbox = (tenantId: string) => `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${tenantId}`;

export interface ExchangeTarget {
  tenantId: string;
  /** Base URL such as `https://outlook.office365.com`. */
  exchangeEndpoint: string;
  /** The deploying identity a command's calls share (one sign-in for its reads); without it, each cmdlet signs in on its own (the providers). */
  identity?: DeployingIdentity;
}
export type CmdletParameters = Record<string, unknown>;
export type ExchangeObject = Record<string, unknown>;

/** An Exchange refusal, with the .NET exception type Exchange named (e.g. ManagementObjectNotFoundException). */
export type ExchangeCommandError = Error & { cmdlet: string; status: number; exceptionType?: string; exchangeMessage: string };

/** How a long listing comes back: fewer requests and smaller pages where the caller says so. */
export interface ListingOptions {
  /** Only these properties of each object (`?$select=`, as CIPP's New-ExoRequest sends it). */
  select?: readonly string[];
  /** Objects per page asked for with `Prefer: odata.maxpagesize=<n>` (CIPP sends 1000); Exchange's own default otherwise. */
  maxPageSize?: number;
  /** How each request is tried (core/retry.ts DEFAULT_RETRY when not given). */
  retry?: RetryPolicy;
}

/**
 * Where one admin API call goes: Exchange Online's (`invokeCommand`), or Security & Compliance's
 * regional host, which takes the same InvokeCommand body and X-AnchorMailbox header (CIPP's
 * New-ExoRequest -Compliance; m365/compliance-api.ts).
 */
export interface AdminApiTarget {
  tenantId: string;
  /** Base URL the `/adminapi/beta/{tenant}/InvokeCommand` path goes under, checked by the caller against the endpoint rule. */
  base: string;
  /** Token scope, `{audience}/.default`. */
  scope: string;
  /** Who refuses, in errors: "Exchange", "Security & Compliance". */
  service: string;
  identity?: DeployingIdentity;
}

/**
 * Runs one cmdlet through `POST {endpoint}/adminapi/beta/{tenant}/InvokeCommand` and returns every
 * result object, following `@odata.nextLink` (each page is the same command posted to the link)
 * to the endpoint's own origin only.
 */
export async function invokeCommand(
  target: ExchangeTarget,
  cmdlet: string,
  parameters: CmdletParameters = {},
  listing: ListingOptions = {},
): Promise<ExchangeObject[]> {
  const base = checkedEndpoint(target.exchangeEndpoint, "exchange", "the Exchange endpoint").replace(/\/+$/, "");
  const api = { tenantId: target.tenantId, base, scope: `${new URL(base).origin}/.default`, service: "Exchange", identity: target.identity };
  return invokeAdminCommand(api, cmdlet, parameters, listing);
}

/** `invokeCommand` at any admin API base: the one implementation of InvokeCommand, its paging and its errors. */
export async function invokeAdminCommand(
  target: AdminApiTarget,
  cmdlet: string,
  parameters: CmdletParameters = {},
  listing: ListingOptions = {},
): Promise<ExchangeObject[]> {
  const base = target.base.replace(/\/+$/, "");
  const body = { CmdletInput: { CmdletName: cmdlet, Parameters: parameters } };
  const results: ExchangeObject[] = [];
  const select = listing.select?.length ? `?$select=${listing.select.join(",")}` : "";
  let url: string | undefined = `${base}/adminapi/beta/${encodeURIComponent(target.tenantId)}/InvokeCommand${select}`;
  const identity = target.identity ?? deployingIdentity(target.tenantId);
  while (url) {
    const { status, json } = await sendWithRetry(
      {
        tenantId: target.tenantId,
        method: "POST",
        url,
        scope: target.scope,
        headers: {
          "X-AnchorMailbox": anchorMailbox(target.tenantId),
          ...(listing.maxPageSize ? { Prefer: `odata.maxpagesize=${listing.maxPageSize}` } : {}),
        },
        body,
        identity,
      },
      listing.retry,
    );
    if (status < 200 || status >= 300) throw exchangeCommandError(cmdlet, parameters, status, json, target.service);
    const page = (json ?? {}) as { value?: ExchangeObject[]; "@odata.nextLink"?: string };
    results.push(...(page.value ?? []));
    url = page["@odata.nextLink"];
    // The next page gets the same token: only ever from the endpoint's own origin.
    if (url !== undefined && !isSameOrigin(url, base)) {
      throw new UserFacingError(
        `${target.service} answered ${describeCommand(cmdlet, parameters)} with a next page at another origin than ${new URL(base).origin}; it was not followed`,
        ExitCode.remoteService,
      );
    }
  }
  return results;
}

/** Exchange's error body (`|Namespace.ExceptionType|Message`) as one sentence naming the command (and `service`, who refused). */
export function exchangeCommandError(cmdlet: string, parameters: CmdletParameters, status: number, json: unknown, service = "Exchange"): ExchangeCommandError {
  const error = (json as { error?: { message?: string; details?: { message?: string }[] } } | undefined)?.error;
  const raw = error?.details?.[0]?.message ?? error?.message ?? `HTTP ${status}`;
  const parts = raw.split("|");
  const exchangeMessage = (parts[parts.length - 1] ?? raw).trim();
  const exceptionType = parts.length >= 3 ? parts[parts.length - 2]?.split(".").pop() : undefined;
  const sentence = `${service} refused ${describeCommand(cmdlet, parameters)} (HTTP ${status}${exceptionType ? `, ${exceptionType}` : ""}): ${exchangeMessage}`;
  return Object.assign(new Error(sentence), { cmdlet, status, exceptionType, exchangeMessage });
}

/** `New-X -Name "a" -Password [secret]`: the command as an admin would type it, secrets hidden. */
export function describeCommand(cmdlet: string, parameters: CmdletParameters): string {
  const value = (name: string, v: unknown): string => {
    if (/password|secret|token|credential|key/i.test(name)) return "[secret]";
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const entries = Object.entries(v).filter(([k]) => k !== "@odata.type");
      return `@{${entries.map(([k, x]) => `${k}=${value(k, x)}`).join("; ")}}`;
    }
    if (Array.isArray(v)) return v.map((x) => value(name, x)).join(",");
    if (typeof v === "boolean") return `$${String(v)}`;
    return JSON.stringify(v);
  };
  return [cmdlet, ...Object.entries(parameters).map(([k, v]) => (v === true ? `-${k}` : v === false ? `-${k}:$false` : `-${k} ${value(k, v)}`))].join(" ");
}

export function isNotFound(error: unknown): boolean {
  const e = error as Partial<ExchangeCommandError> | undefined;
  return e?.exceptionType === "ManagementObjectNotFoundException" || /couldn't be found/i.test(e?.exchangeMessage ?? "");
}

/** What `call` returns, or undefined where Exchange (or Security & Compliance) answers that the object does not exist. */
export async function unlessNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
