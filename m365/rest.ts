import { deployingIdentity, type DeployingIdentity } from "./credentials";
import { DEFAULT_RETRY, isNetworkFailure, isTransientStatus, retrying, type RetryPolicy } from "../core/retry";

// Used inside dynamic providers, which Pulumi serializes: these functions use only globals,
// constants, each other and npm packages `require`d where they run.

export interface RestRequest {
  tenantId: string;
  method: string;
  url: string;
  /** Token scope, e.g. `https://graph.microsoft.com/.default`. */
  scope: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** The deploying identity the caller's calls share (one sign-in for them all); without it, this call signs in on its own. */
  identity?: DeployingIdentity;
  /** `false`: a redirect is answered as it is, its `Location` in the response (Security & Compliance's regional host, m365/compliance-api.ts). */
  followRedirects?: false;
}
export interface RestResponse {
  status: number;
  json: unknown;
  /** The `Location` header, where the answer has one. */
  location?: string;
}

/**
 * One JSON call with the deploying identity's app-only token. Retries what `core/retry.ts` calls
 * transient and, once, a 401 with a freshly acquired token.
 */
export async function sendWithRetry(request: RestRequest, policy: RetryPolicy = DEFAULT_RETRY): Promise<RestResponse> {
  const identity = request.identity ?? deployingIdentity(request.tenantId);
  let renewedToken = false;
  const send = async () => {
    const token = await identity.getToken(request.scope);
    if (!token) throw new Error(`no token for ${request.scope}`);
    const response = await fetch(request.url, {
      method: request.method,
      headers: { ...request.headers, authorization: `Bearer ${token.token}`, "content-type": "application/json" },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(60_000),
      ...(request.followRedirects === false ? { redirect: "manual" as const } : {}),
    });
    const location = response.headers.get("location") ?? undefined;
    return { status: response.status, retryAfter: response.headers.get("retry-after"), location, text: await response.text() };
  };
  const { outcome } = await retrying(
    async () => {
      const answer = await send();
      if (answer.status !== 401 || renewedToken) return answer;
      // An expired or revoked token: once, a new sign-in.
      renewedToken = true;
      identity.renew();
      return send();
    },
    {
      policy,
      retryable: (o) => (o.ok ? isTransientStatus(o.value.status) : isNetworkFailure(o.error)),
      retryAfterOf: (o) => (o.ok ? o.value.retryAfter : undefined),
    },
  );
  if (!outcome.ok) throw outcome.error;
  const { status, text, location } = outcome.value;
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, json, ...(location === undefined ? {} : { location }) };
}
