import type * as AzureIdentity from "@azure/identity";
import type * as AsyncHooks from "node:async_hooks";
import { CLOUDS, type Cloud } from "./clouds";
import { checkedEndpoint } from "./endpoints";
import { isTransientStatus, retrying, type RetryPolicy } from "../core/retry";
import { connectionFailure } from "../core/connection-failure";

// How Retain's app and the deploying identity sign in to Entra ID. Used inside dynamic providers,
// which Pulumi serializes: these functions use only globals, constants, each other and npm
// packages `require`d where they run.

export interface Authority {
  authorityHost: string;
  disableInstanceDiscovery: boolean;
}

/** The variable @azure/identity reads the login host from (never in the nightly job, whose command names its host). */
export const AUTHORITY_HOST_VARIABLE = "AZURE_AUTHORITY_HOST";

/**
 * `AZURE_AUTHORITY_HOST` when set (empty counts as unset), held to the endpoint rule
 * (m365/endpoints.ts): a login host of Microsoft's clouds or a loopback emulator, over https;
 * anything else is exit 2 naming the variable, before any sign-in.
 */
export function authorityHostFromEnvironment(): string | undefined {
  const value = process.env[AUTHORITY_HOST_VARIABLE];
  return value ? checkedEndpoint(value, "login", AUTHORITY_HOST_VARIABLE) : undefined;
}

/**
 * The Entra login host: one given explicitly (a flag), else `AZURE_AUTHORITY_HOST`, else the
 * cloud's. Either is held to the endpoint rule; the nightly job names its host with the flag, so
 * no variable in its environment can redirect Retain's credential (job/definition.ts). An explicit
 * host turns instance discovery off: discovery asks the public cloud about the host, which knows
 * nothing of a loopback stand-in.
 */
export function authorityFor(cloud: Cloud = "global", explicitHost?: string): Authority {
  const overridden = explicitHost !== undefined ? checkedEndpoint(explicitHost, "login", "--authority-host") : authorityHostFromEnvironment();
  return { authorityHost: overridden ?? CLOUDS[cloud].login, disableInstanceDiscovery: overridden !== undefined };
}

/** An app's own credential: its client secret, or a PEM file with its certificate and private key. */
export type AppSecret = { clientSecret: string } | { certificatePath: string };

/**
 * How a token request of an app credential is tried: four tries, 0.8, 1.6 and 3.2 s apart (the
 * identity library's own defaults, each jittered), each given at most 30 s for an answer. A login
 * host that cannot be reached thus ends a sign-in after about 5 s (refused, unresolvable), at once
 * (TLS), or after at most about 2 min 6 s (a host that never answers).
 */
export const SIGN_IN_RETRY: RetryPolicy & { timeoutMs: number } = { maxAttempts: 4, baseDelayMs: 800, maxDelayMs: 60_000, timeoutMs: 30_000 };

/** The `name` of the error a sign-in ends with when the login host could not be reached at all. */
export const LOGIN_UNREACHABLE = "LoginHostUnreachableError";

/** What `appCredential` adds to a sign-in that got no HTTP answer: the host, why, and how long it was tried. */
export interface Unreachable {
  host: string;
  reason: string;
  tries: number;
  elapsedMs: number;
}

/**
 * An app (Retain's, or the deploying one) signing in with its own secret or certificate. A sign-in
 * that never reached the login host fails with `LOGIN_UNREACHABLE` and its `unreachable` details:
 * MSAL's own error says only "endpoints_resolution_error", whatever the cause.
 */
export function appCredential(
  tenantId: string,
  clientId: string,
  secret: AppSecret,
  authority: Authority,
  retry: RetryPolicy & { timeoutMs: number } = SIGN_IN_RETRY,
): AzureIdentity.TokenCredential {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded where the serialized provider runs
  const identity = require("@azure/identity") as typeof AzureIdentity;
  // The connection failures of the current sign-in (each try passes the policy below).
  let failures: { host: string; error: unknown; at: number }[] = [];
  const options: AzureIdentity.ClientSecretCredentialOptions = {
    ...authority,
    retryOptions: { maxRetries: retry.maxAttempts - 1, retryDelayInMs: retry.baseDelayMs, maxRetryDelayInMs: retry.maxDelayMs },
    additionalPolicies: [
      {
        position: "perRetry",
        policy: {
          name: "retainM365ConnectionFailures",
          async sendRequest(request, next) {
            // A signal, not `request.timeout`: the HTTP client leaves that timer running when the
            // connection fails (@typespec/ts-http-runtime nodeHttpClient), holding the process open.
            const timeout = AbortSignal.timeout(retry.timeoutMs);
            request.abortSignal = request.abortSignal ? AbortSignal.any([request.abortSignal as AbortSignal, timeout]) : timeout;
            try {
              return await next(request);
            } catch (error) {
              failures.push({ host: new URL(request.url).host, error, at: Date.now() });
              throw error;
            }
          },
        },
      },
    ],
  };
  const credential =
    "clientSecret" in secret
      ? new identity.ClientSecretCredential(tenantId, clientId, secret.clientSecret, options)
      : new identity.ClientCertificateCredential(tenantId, clientId, { certificatePath: secret.certificatePath }, options);
  return {
    async getToken(scopes, getTokenOptions) {
      const started = Date.now();
      failures = [];
      try {
        return await credential.getToken(scopes, getTokenOptions);
      } catch (error) {
        const last = failures.at(-1);
        const why = last && connectionFailure(last.error);
        if (!last || !why || last.at < started) throw error;
        const unreachable: Unreachable = {
          host: last.host,
          reason: why.reason,
          tries: failures.filter((f) => f.host === last.host).length,
          elapsedMs: Date.now() - started,
        };
        const seconds = (unreachable.elapsedMs / 1000).toFixed(1);
        throw Object.assign(
          new Error(
            `could not reach the Entra ID login host ${unreachable.host} to sign in: ${unreachable.reason}; tried ${unreachable.tries} time${unreachable.tries === 1 ? "" : "s"} over ${seconds} s`,
          ),
          { name: LOGIN_UNREACHABLE, unreachable },
        );
      }
    },
  };
}

/**
 * The deploying identity from the environment: `AZURE_CLIENT_ID` with `AZURE_CLIENT_SECRET` or
 * `AZURE_CLIENT_CERTIFICATE_PATH`; in a GitHub Actions job with `id-token: write`
 * (`ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` set), `AZURE_CLIENT_ID`
 * with a GitHub OIDC token as client assertion; else `DefaultAzureCredential` (workload identity,
 * Azure CLI). The login host follows `authorityFor` (`DefaultAzureCredential` reads
 * `AZURE_AUTHORITY_HOST` itself, once it passed the endpoint rule). It keeps its tokens
 * (`withTokenCache`).
 */
export function credentialFromEnvironment(tenantId: string, authority: Authority = authorityFor()): AzureIdentity.TokenCredential {
  // DefaultAzureCredential reads the variable itself: checked here whichever way the identity signs in.
  authorityHostFromEnvironment();
  return withTokenCache(signInFromEnvironment(tenantId, authority));
}

function signInFromEnvironment(tenantId: string, authority: Authority): AzureIdentity.TokenCredential {
  const env = process.env;
  const clientId = env.AZURE_CLIENT_ID;
  if (clientId && env.AZURE_CLIENT_SECRET) return appCredential(tenantId, clientId, { clientSecret: env.AZURE_CLIENT_SECRET }, authority);
  if (clientId && env.AZURE_CLIENT_CERTIFICATE_PATH)
    return appCredential(tenantId, clientId, { certificatePath: env.AZURE_CLIENT_CERTIFICATE_PATH }, authority);
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (clientId && requestUrl && requestToken) return gitHubFederatedCredential(tenantId, clientId, requestUrl, requestToken, authority);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded where the serialized provider runs
  const identity = require("@azure/identity") as typeof AzureIdentity;
  return new identity.DefaultAzureCredential({ tenantId });
}

/**
 * Why signing in failed, in one clause. `DefaultAzureCredential` fails with every credential of
 * its chain explained over many lines; what the user needs is the one thing to set.
 */
export function signInFailureReason(error: unknown): string {
  const text = (error as { message?: string }).message ?? String(error);
  return isMissingCredential(error) ? MISSING_CREDENTIAL : (text.split("\n")[0] ?? text);
}

const MISSING_CREDENTIAL =
  "no credential for the deploying identity in this environment: set AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, or sign in with az login";

/** `DefaultAzureCredential` found nothing to sign in with (rather than a credential being refused). */
export function isMissingCredential(error: unknown): boolean {
  const { name, message } = error as { name?: string; message?: string };
  return name === "AggregateAuthenticationError" || name === "CredentialUnavailableError" || /ChainedTokenCredential authentication failed/.test(message ?? "");
}

/**
 * The deploying identity (`credentialFromEnvironment`) as one object that calls made together share
 * (a provider operation, a command): its tokens are kept with it, nowhere else. `renew` starts
 * over with a new credential, the environment read again: after a token was refused (HTTP 401).
 */
export interface DeployingIdentity extends AzureIdentity.TokenCredential {
  renew(): void;
}

export function deployingIdentity(tenantId: string, authority?: Authority): DeployingIdentity {
  let current = credentialFromEnvironment(tenantId, authority);
  const identity: DeployingIdentity = {
    getToken: (scopes, options) => current.getToken(scopes, options),
    renew: () => {
      current = credentialFromEnvironment(tenantId, authority);
    },
  };
  // Its tokens are its credential's (withTokenCache): no second cache around it.
  return Object.assign(identity, { [TOKEN_CACHE]: true });
}

/** Marks a credential that keeps its tokens (`withTokenCache`), so none gets a second cache. */
const TOKEN_CACHE = "retainM365TokenCache";

/**
 * The one token cache, kept with the credential (never in a module or on globalThis). The Graph
 * SDK asks for a token before every request, and requests started together would each sign in
 * before the identity library's own cache fills: this shares one request per scope among those
 * who ask at once and reuses its token until the identity library says to refresh it (else five
 * minutes before it expires). A request with claims or for another tenant goes to the credential.
 */
export function withTokenCache(credential: AzureIdentity.TokenCredential): AzureIdentity.TokenCredential {
  if ((credential as unknown as Record<string, unknown>)[TOKEN_CACHE] === true) return credential;
  const tokens = new Map<string, Promise<AzureIdentity.AccessToken | null>>();
  const fresh = (token: AzureIdentity.AccessToken | null) => token !== null && Date.now() < (token.refreshAfterTimestamp ?? token.expiresOnTimestamp - 300_000);
  const cached: AzureIdentity.TokenCredential = {
    async getToken(scopes, options) {
      if (options?.claims || options?.tenantId) return credential.getToken(scopes, options);
      const key = [scopes].flat().join(" ");
      const pending = tokens.get(key);
      if (pending && fresh(await pending.catch(() => null))) return pending;
      const request = credential.getToken(scopes, options);
      tokens.set(key, request);
      request.catch(() => tokens.delete(key));
      return request;
    },
  };
  return Object.assign(cached, { [TOKEN_CACHE]: true });
}

/**
 * The deploying identity signing in with the GitHub Actions job's OIDC token. GitHub's ID tokens
 * expire minutes after they are issued, so each token request to Entra presents a new one: a long
 * deployment asks for its first Exchange token late, when replaying the first GitHub token is
 * refused (AADSTS700024, the Azure CLI's limit: Azure/azure-cli#28708).
 */
function gitHubFederatedCredential(
  tenantId: string,
  clientId: string,
  requestUrl: string,
  requestToken: string,
  authority: Authority,
): AzureIdentity.TokenCredential {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded where the serialized provider runs
  const identity = require("@azure/identity") as typeof AzureIdentity;
  const getAssertion = () => gitHubIdToken(clientId, requestUrl, requestToken);
  // One GitHub token per token request to Entra, never reused: MSAL calls the callback twice per
  // request, and even when it then answers from its own cache. So each getToken below fetches at
  // most one (shared by MSAL's calls through AsyncLocalStorage), and the token cache
  // `credentialFromEnvironment` gives it (withTokenCache) answers until MSAL would renew the token.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded where the serialized provider runs
  const { AsyncLocalStorage } = require("node:async_hooks") as typeof AsyncHooks;
  const request = new AsyncLocalStorage<{ assertion?: Promise<string> }>();
  const getOnce = () => {
    const current = request.getStore();
    return current ? (current.assertion ??= getAssertion()) : getAssertion();
  };
  const federated = new identity.ClientAssertionCredential(tenantId, clientId, getOnce, authority);
  return { getToken: (scopes, getTokenOptions) => request.run({}, () => federated.getToken(scopes, getTokenOptions)) };
}

/**
 * GitHub's documented ID token request (as @actions/core getIDToken does it), for the audience
 * Entra's federated credentials name. The request token is a secret: never in a message.
 */
async function gitHubIdToken(clientId: string, requestUrl: string, requestToken: string): Promise<string> {
  const url = `${requestUrl}&audience=${encodeURIComponent("api://AzureADTokenExchange")}`;
  const { outcome } = await retrying(
    async () => {
      let status: number | undefined;
      let retryAfter: string | null = null;
      let value: unknown;
      try {
        const response = await fetch(url, {
          headers: { authorization: `Bearer ${requestToken}`, accept: "application/json" },
          signal: AbortSignal.timeout(30_000),
        });
        status = response.status;
        retryAfter = response.headers.get("retry-after");
        const text = await response.text();
        if (response.ok) value = (JSON.parse(text) as { value?: unknown } | null)?.value;
      } catch {
        // A reset, a timeout or a body that is not JSON: retried like a 5xx.
      }
      return { status, retryAfter, token: typeof value === "string" && value ? value : undefined };
    },
    {
      retryable: (o) => o.ok && o.value.token === undefined && (o.value.status === undefined || isTransientStatus(o.value.status)),
      retryAfterOf: (o) => (o.ok ? o.value.retryAfter : undefined),
    },
  );
  if (!outcome.ok) throw outcome.error; // the try catches everything: not reached
  const { status, token } = outcome.value;
  if (token !== undefined) return token;
  const what =
    status === undefined
      ? "got no answer from ACTIONS_ID_TOKEN_REQUEST_URL"
      : status === 401 || status === 403
        ? `was refused with HTTP ${status} (ACTIONS_ID_TOKEN_REQUEST_TOKEN is wrong or expired)`
        : `failed with HTTP ${status}${status < 300 ? " and no token" : ""}`;
  throw new Error(`GitHub's OIDC token request ${what}, so the deploying identity ${clientId} cannot sign in to Entra ID.`);
}
