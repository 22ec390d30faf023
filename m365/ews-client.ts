import { DEFAULT_RETRY, isNetworkFailure, isTransientStatus, retrying, type RetryPolicy } from "../core/retry";
import { CLOUDS, type Cloud } from "./clouds";
import { checkedEndpoint } from "./endpoints";
import { EWS_SERVICE_PATH } from "./exchange-facts";

// EWS as Retain calls it (docs/exchange.md, "EWS as Retain reaches it"): an app-only token for
// Exchange Online and a SOAP request that impersonates the mailbox. The request is a fixed
// template; of the answer only the status, a few headers and ResponseClass, ResponseCode and the
// message are read, whatever namespace prefixes Exchange chooses.

/** The EWS URL under an Exchange base: `--ews-endpoint`, else the cloud's (`https://outlook.office365.com/EWS/Exchange.asmx`). */
export function ewsUrl(cloud: Cloud, exchangeBase?: string): string {
  return `${(exchangeBase ?? CLOUDS[cloud].exchange).replace(/\/+$/, "")}${EWS_SERVICE_PATH}`;
}

/** The token scope for EWS: Exchange Online's resource in the cloud, never the URL EWS is reached at. */
export function exchangeTokenScope(cloud: Cloud): string {
  return `${CLOUDS[cloud].exchange}/.default`;
}

/** What EWS said to a GetFolder of a mailbox's inbox. */
export type InboxAnswer =
  | { outcome: "reached"; folder: string }
  /** HTTP 403 with `X-EWS-Policy-Reason`: the organization's or the mailbox's EWS controls. */
  | { outcome: "policy"; reason: string }
  /** HTTP 401 (the token) or a 403 without a policy reason (no EWS permission at all). */
  | { outcome: "token-refused"; status: number; diagnostics: string }
  /** A SOAP refusal to act for this mailbox: outside the app's management scope, or no role. */
  | { outcome: "denied"; code: string; message: string }
  | { outcome: "no-mailbox"; message: string }
  /** Still failing (5xx, throttling, no answer) after the policy's tries. */
  | { outcome: "unavailable"; detail: string }
  | { outcome: "unexpected"; status: number; code: string; message: string };

/** SOAP response codes with which EWS refuses to act for a mailbox. */
const DENIAL_CODES = new Set(["ErrorAccessDenied", "ErrorImpersonateUserDenied", "ErrorImpersonationDenied"]);

export interface InboxRequest {
  /** The EWS URL (`ewsUrl`). */
  url: string;
  accessToken: string;
  mailbox: string;
  timeoutMs?: number;
}

/** One GetFolder of `mailbox`'s inbox, retrying what core/retry.ts calls transient and EWS's ErrorServerBusy. */
export async function getInbox(request: InboxRequest, policy: RetryPolicy = DEFAULT_RETRY): Promise<InboxAnswer> {
  checkedEndpoint(request.url, "exchange", "the EWS URL");
  const body = getInboxEnvelope(request.mailbox);
  const headers: Record<string, string> = { authorization: `Bearer ${request.accessToken}`, "content-type": "text/xml; charset=utf-8", accept: "text/xml" };
  // Routes the request to the mailbox's server (Microsoft: "Impersonation and EWS in Exchange").
  // A header value is Latin-1 only; without it Exchange still answers, only less directly.
  if (/^[\x21-\x7e]+$/.test(request.mailbox)) headers["x-anchormailbox"] = request.mailbox;
  const { outcome, tries } = await retrying(
    async (): Promise<InboxAnswer | Retry> => {
      try {
        const response = await fetch(request.url, { method: "POST", headers, body, signal: AbortSignal.timeout(request.timeoutMs ?? 60_000) });
        return classify(response.status, response.headers, await response.text());
      } catch (error) {
        if (!isNetworkFailure(error)) throw error;
        return { retry: `no answer (${networkFailureReason(error)})`, retryAfter: null };
      }
    },
    { policy, retryable: (o) => o.ok && "retry" in o.value, retryAfterOf: (o) => (o.ok && "retry" in o.value ? o.value.retryAfter : undefined) },
  );
  if (!outcome.ok) throw outcome.error;
  const answer = outcome.value;
  return "retry" in answer ? { outcome: "unavailable", detail: `${answer.retry}, ${tries} tries` } : answer;
}

interface Retry {
  retry: string;
  retryAfter: string | null;
}

function classify(status: number, headers: Headers, text: string): InboxAnswer | Retry {
  const policyReason = headers.get("x-ews-policy-reason");
  if (status === 403 && policyReason !== null) return { outcome: "policy", reason: oneLine(policyReason) };
  if (status === 401 || status === 403) return { outcome: "token-refused", status, diagnostics: oneLine(headers.get("x-ms-diagnostics") ?? "") };
  // A SOAP fault comes as HTTP 500 with the envelope (SOAP 1.1; exchangelib parses such a 500 too).
  const soap = status === 200 || status === 500 ? readSoapAnswer(text) : undefined;
  if (!soap) {
    if (isTransientStatus(status) || status === 200)
      return { retry: status === 200 ? "an answer cut short" : `HTTP ${status}`, retryAfter: headers.get("retry-after") };
    return { outcome: "unexpected", status, code: `HTTP ${status}`, message: oneLine(text.slice(0, 200)) };
  }
  if (soap.code === "NoError" && soap.responseClass === "Success") return { outcome: "reached", folder: soap.folder ?? "" };
  if (soap.code === "ErrorServerBusy") {
    // EWS's throttling: MessageXml's BackOffMilliseconds says how long to wait.
    const backOff = Number(soap.backOffMs);
    return { retry: "ErrorServerBusy", retryAfter: Number.isFinite(backOff) && soap.backOffMs !== undefined ? String(backOff / 1000) : null };
  }
  if (soap.code === "ErrorNonExistentMailbox") return { outcome: "no-mailbox", message: soap.message };
  if (DENIAL_CODES.has(soap.code)) return { outcome: "denied", code: soap.code, message: soap.message };
  return { outcome: "unexpected", status, code: soap.code, message: soap.message };
}

interface SoapAnswer {
  responseClass: string;
  code: string;
  message: string;
  folder?: string;
  backOffMs?: string;
}

/**
 * ResponseClass, ResponseCode and the message of an EWS answer: a response message
 * (`<m:GetFolderResponseMessage ResponseClass="…"><m:ResponseCode>…`) or a SOAP fault
 * (`<faultcode>a:…</faultcode>`, its detail's `<e:ResponseCode>` and `<e:Message>`).
 * Undefined when the text is not an EWS answer (an HTML error page, a body cut short).
 */
export function readSoapAnswer(xml: string): SoapAnswer | undefined {
  if (!/<(?:[\w.-]+:)?Envelope[\s>]/.test(xml) || !/<\/(?:[\w.-]+:)?Envelope\s*>/.test(xml)) return undefined;
  const faultCode = elementText(xml, "faultcode")?.replace(/^[\w.-]+:/, "");
  const code = elementText(xml, "ResponseCode") ?? faultCode;
  if (!code) return undefined;
  const responseClass = attributeOf(xml, "GetFolderResponseMessage", "ResponseClass") ?? (faultCode ? "Error" : "");
  const message = elementText(xml, "MessageText") ?? elementText(xml, "Message") ?? elementText(xml, "faultstring") ?? "";
  const backOff = /<(?:[\w.-]+:)?Value\s+Name\s*=\s*["']BackOffMilliseconds["']\s*>(\d+)</.exec(xml)?.[1];
  return { responseClass, code, message: oneLine(message), folder: elementText(xml, "DisplayName"), ...(backOff ? { backOffMs: backOff } : {}) };
}

/** The text of the first element named `name` (any prefix) that holds text only, entities decoded. */
function elementText(xml: string, name: string): string | undefined {
  const match = new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${name}\\s*>`).exec(xml);
  return match ? decodeXml(match[1]!).trim() : undefined;
}

function attributeOf(xml: string, element: string, attribute: string): string | undefined {
  const match = new RegExp(`<(?:[\\w.-]+:)?${element}\\s[^>]*?\\b${attribute}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(xml);
  return match ? decodeXml(match[1] ?? match[2]!) : undefined;
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (entity, name: string) => {
    if (name.startsWith("#")) {
      const point = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return point <= 0x10ffff ? String.fromCodePoint(point) : entity;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? entity;
  });
}

/** Text as XML character data or an attribute value: the five characters XML gives meaning escaped. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${({ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" } as Record<string, string>)[c]};`);
}

/**
 * GetFolder of the `inbox` distinguished folder (Microsoft's "GetFolder operation" example) as
 * the app, impersonating `mailbox` (`ExchangeImpersonation/ConnectingSID/SmtpAddress`; an app-only
 * token needs it: without it EWS answers "ExchangeImpersonation SOAP header must be present for
 * this type of OAuth token").
 */
export function getInboxEnvelope(mailbox: string): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">',
    "<soap:Header>",
    '<t:RequestServerVersion Version="Exchange2016"/>',
    `<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>${escapeXml(mailbox)}</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`,
    "</soap:Header>",
    "<soap:Body>",
    '<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>',
    "</soap:Body>",
    "</soap:Envelope>",
  ].join("\n");
}

/** A service's text, shown in one line of ours: line breaks and other control characters as spaces. */
function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]+/gu, " ").trim();
}

function networkFailureReason(error: unknown): string {
  const { name, cause } = error as { name?: string; cause?: { code?: string; message?: string } };
  if (name === "TimeoutError" || name === "AbortError") return "timed out";
  return cause?.code ?? cause?.message ?? name ?? "error";
}
