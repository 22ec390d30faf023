import type * as AzureIdentity from "@azure/identity";

// Used inside dynamic providers, which Pulumi serializes: these functions use only globals,
// each other and npm packages `require`d where they run.

/**
 * The deploying identity from the environment: `AZURE_CLIENT_ID` with `AZURE_CLIENT_SECRET` or
 * `AZURE_CLIENT_CERTIFICATE_PATH`, else `DefaultAzureCredential` (workload identity, Azure CLI).
 * `AZURE_AUTHORITY_HOST` overrides the login host, which turns instance discovery off (as `sync` does).
 */
export function credentialFromEnvironment(tenantId: string): AzureIdentity.TokenCredential {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded where the serialized provider runs
  const identity = require("@azure/identity") as typeof AzureIdentity;
  const authorityHost = process.env.AZURE_AUTHORITY_HOST;
  const options = { authorityHost, disableInstanceDiscovery: authorityHost !== undefined };
  const clientId = process.env.AZURE_CLIENT_ID;
  if (clientId && process.env.AZURE_CLIENT_SECRET) {
    return new identity.ClientSecretCredential(tenantId, clientId, process.env.AZURE_CLIENT_SECRET, options);
  }
  if (clientId && process.env.AZURE_CLIENT_CERTIFICATE_PATH) {
    return new identity.ClientCertificateCredential(tenantId, clientId, { certificatePath: process.env.AZURE_CLIENT_CERTIFICATE_PATH }, options);
  }
  return new identity.DefaultAzureCredential({ tenantId });
}

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
 * One JSON call with an app-only token. Retries 429 and 5xx (honouring Retry-After, else
 * exponential backoff with jitter) and, once, a 401 with a freshly acquired token.
 */
export async function sendWithRetry(request: RestRequest, maxAttempts = 5): Promise<RestResponse> {
  // One credential per tenant for the life of the provider process, so its token cache is used.
  // (On globalThis, not in a module variable: the serialized provider must not capture state.)
  const cache = ((globalThis as { __retainM365Credentials?: Map<string, AzureIdentity.TokenCredential> }).__retainM365Credentials ??= new Map());
  const env = process.env;
  const key = [request.tenantId, env.AZURE_CLIENT_ID, env.AZURE_CLIENT_SECRET, env.AZURE_CLIENT_CERTIFICATE_PATH, env.AZURE_AUTHORITY_HOST].join("\n");
  let credential = cache.get(key) ?? credentialFromEnvironment(request.tenantId);
  cache.set(key, credential);
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
      // A reset or a timeout: worth another try, like a 5xx.
      if (attempt >= maxAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** (attempt - 1) * (0.5 + Math.random())));
      continue;
    }
    if (response.status === 401 && !renewedToken) {
      // An expired or revoked token: a new credential starts with an empty token cache.
      renewedToken = true;
      credential = credentialFromEnvironment(request.tenantId);
      cache.set(key, credential);
      continue;
    }
    const retryable = response.status === 429 || response.status >= 500;
    if (!retryable || attempt >= maxAttempts) {
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, json };
    }
    const retryAfter = Number(response.headers.get("retry-after"));
    const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 120) * 1000 : 500 * 2 ** (attempt - 1) * (0.5 + Math.random());
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
