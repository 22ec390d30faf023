import type * as AzureIdentity from "@azure/identity";
import type * as AsyncHooks from "node:async_hooks";
import type * as Crypto from "node:crypto";

// Used inside dynamic providers, which Pulumi serializes: these functions use only globals,
// each other and npm packages `require`d where they run.

/**
 * The deploying identity from the environment: `AZURE_CLIENT_ID` with `AZURE_CLIENT_SECRET` or
 * `AZURE_CLIENT_CERTIFICATE_PATH`; in a GitHub Actions job with `id-token: write`
 * (`ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` set), `AZURE_CLIENT_ID`
 * with a GitHub OIDC token as client assertion; else `DefaultAzureCredential` (workload identity,
 * Azure CLI). `AZURE_AUTHORITY_HOST` overrides the login host, which turns instance discovery off
 * (as `sync` does).
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
  const requestUrl = process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (clientId && requestUrl && requestToken) {
    // GitHub's ID tokens expire minutes after they are issued, so each token request to Entra
    // presents a new one: a long deployment asks for its first Exchange token late, when replaying
    // the first GitHub token is refused (AADSTS700024, the Azure CLI's limit: Azure/azure-cli#28708).
    // GitHub's documented request (as @actions/core getIDToken does it), for the audience Entra's
    // federated credentials name. The request token is a secret: never in a message.
    const getAssertion = async (): Promise<string> => {
      const url = `${requestUrl}&audience=${encodeURIComponent("api://AzureADTokenExchange")}`;
      for (let attempt = 1; ; attempt++) {
        let status: number | undefined;
        let value: unknown;
        try {
          const response = await fetch(url, { headers: { authorization: `Bearer ${requestToken}`, accept: "application/json" }, signal: AbortSignal.timeout(30_000) });
          status = response.status;
          const text = await response.text();
          if (response.ok) value = (JSON.parse(text) as { value?: unknown } | null)?.value;
        } catch {
          // A reset, a timeout or a body that is not JSON: retried below like a 5xx.
        }
        if (typeof value === "string" && value) return value;
        const retryable = status === undefined || status === 429 || status >= 500;
        if (!retryable || attempt >= 3) {
          const what =
            status === undefined
              ? "got no answer from ACTIONS_ID_TOKEN_REQUEST_URL"
              : status === 401 || status === 403
                ? `was refused with HTTP ${status} (ACTIONS_ID_TOKEN_REQUEST_TOKEN is wrong or expired)`
                : `failed with HTTP ${status}${status < 300 ? " and no token" : ""}`;
          throw new Error(`GitHub's OIDC token request ${what}, so the deploying identity ${clientId} cannot sign in to Entra ID.`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    };
    // One GitHub token per token request to Entra, never reused: MSAL calls the callback twice per
    // request, and even when it then answers from its own cache. So each getToken below fetches at
    // most one (shared by MSAL's calls through AsyncLocalStorage), and answers from this cache until
    // MSAL would renew the token (its refresh time, else five minutes before expiry).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded where the serialized provider runs
    const { AsyncLocalStorage } = require("node:async_hooks") as typeof AsyncHooks;
    const request = new AsyncLocalStorage<{ assertion?: Promise<string> }>();
    const getOnce = () => {
      const current = request.getStore();
      return current ? (current.assertion ??= getAssertion()) : getAssertion();
    };
    const federated = new identity.ClientAssertionCredential(tenantId, clientId, getOnce, options);
    const tokens = new Map<string, AzureIdentity.AccessToken>();
    return {
      async getToken(scopes, getTokenOptions) {
        const key = [scopes].flat().join(" ");
        const cached = tokens.get(key);
        if (cached && !getTokenOptions?.claims && !getTokenOptions?.tenantId && Date.now() < (cached.refreshAfterTimestamp ?? cached.expiresOnTimestamp - 300_000)) return cached;
        const token = await request.run({}, () => federated.getToken(scopes, getTokenOptions));
        tokens.set(key, token);
        return token;
      },
    };
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
  // GitHub's request token by a digest, not its value.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded where the serialized provider runs
  const digest = (text: string | undefined) => (text ? (require("node:crypto") as typeof Crypto).createHash("sha256").update(text).digest("hex") : "");
  const key = [
    request.tenantId,
    env.AZURE_CLIENT_ID,
    env.AZURE_CLIENT_SECRET,
    env.AZURE_CLIENT_CERTIFICATE_PATH,
    env.AZURE_AUTHORITY_HOST,
    env.ACTIONS_ID_TOKEN_REQUEST_URL,
    digest(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN),
  ].join("\n");
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
