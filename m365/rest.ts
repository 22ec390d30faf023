import { sharedCredentialFromEnvironment } from "./credentials";
import { DEFAULT_RETRY, isNetworkFailure, isTransientStatus, pauseBeforeRetry, type RetryPolicy } from "../core/retry";

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
}
export interface RestResponse {
  status: number;
  json: unknown;
}

/**
 * One JSON call with the deploying identity's app-only token. Retries what `core/retry.ts` calls
 * transient and, once, a 401 with a freshly acquired token.
 */
export async function sendWithRetry(request: RestRequest, policy: RetryPolicy = DEFAULT_RETRY): Promise<RestResponse> {
  let credential = sharedCredentialFromEnvironment(request.tenantId);
  let renewedToken = false;
  for (let attempt = 1; ; attempt++) {
    const token = await credential.getToken(request.scope);
    if (!token) throw new Error(`no token for ${request.scope}`);
    let response: Response;
    let text: string;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers: { ...request.headers, authorization: `Bearer ${token.token}`, "content-type": "application/json" },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(60_000),
      });
      text = await response.text();
    } catch (error) {
      if (!isNetworkFailure(error) || attempt >= policy.maxAttempts) throw error;
      await pauseBeforeRetry(undefined, attempt, policy);
      continue;
    }
    if (response.status === 401 && !renewedToken) {
      // An expired or revoked token.
      renewedToken = true;
      credential = sharedCredentialFromEnvironment(request.tenantId, true);
      continue;
    }
    if (!isTransientStatus(response.status) || attempt >= policy.maxAttempts) {
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, json };
    }
    await pauseBeforeRetry(response.headers.get("retry-after"), attempt, policy);
  }
}
