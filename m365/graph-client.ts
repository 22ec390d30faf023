import type { TokenCredential } from "@azure/identity";
import { AuthenticationHandler, Client, GraphClientError, HTTPMessageHandler, type Context, type Middleware } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import { ExitCode, UserFacingError } from "../core/errors";
import { CLOUDS } from "./clouds";
import { checkedEndpoint, isSameOrigin } from "./endpoints";
import { isMissingCredential, LOGIN_UNREACHABLE, signInFailureReason, withTokenCache } from "./credentials";
import { connectionFailure, type ConnectionFailure } from "../core/connection-failure";
import { GraphPacer, PacingHandler } from "./graph-pacer";
import { DEFAULT_RETRY, isNetworkFailure, isTransientStatus, retrying, type RetryPolicy } from "../core/retry";

export interface GraphConnectionOptions {
  credential: TokenCredential;
  /** Base URL such as `https://graph.microsoft.com`; defaults to the global cloud. */
  endpoint?: string;
  /** Per-request timeout, body included (default 100 s). */
  timeoutMs?: number;
}

/** Aborts a request (body included) that takes longer than the timeout. */
class TimeoutHandler implements Middleware {
  private next?: Middleware;
  constructor(private readonly timeoutMs: number) {}
  async execute(context: Context): Promise<void> {
    context.options = { ...context.options, signal: AbortSignal.timeout(this.timeoutMs) };
    if (!this.next) throw new Error("TimeoutHandler needs a next middleware");
    await this.next.execute(context);
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * Marks a request to another origin, refused: thrown as a GraphClientError, which the SDK passes on
 * as it is, so `withGraphRetry` sees the mark and never retries it. (A subclass would load the SDK
 * when this module loads; the embedded package must wait for the commands that use Graph.)
 */
const FOREIGN_ORIGIN = "retainM365ForeignOrigin";
const isForeignOrigin = (error: unknown) => (error as Record<string, unknown> | undefined)?.[FOREIGN_ORIGIN] === true;

/** Marks a Graph request that got no HTTP answer, with the host and why (thrown as a GraphClientError, as FOREIGN_ORIGIN). */
const UNREACHABLE = "retainM365Unreachable";
type UnreachableMark = ConnectionFailure & { host: string };
const unreachableMark = (error: unknown) => (error as Record<string, unknown> | undefined)?.[UNREACHABLE] as UnreachableMark | undefined;

/**
 * Keeps why a request got no answer: `fetch` fails with "fetch failed" and the reason in its
 * `cause`, which the SDK drops when it makes its GraphError. Placed next to the network, so what it
 * sees failing is the connection, the TLS handshake, or the timeout of TimeoutHandler.
 */
class ConnectionFailureHandler implements Middleware {
  private next?: Middleware;
  async execute(context: Context): Promise<void> {
    if (!this.next) throw new Error("ConnectionFailureHandler needs a next middleware");
    try {
      await this.next.execute(context);
    } catch (error) {
      const why = connectionFailure(error);
      if (!why) throw error;
      const url = typeof context.request === "string" ? context.request : context.request.url;
      throw Object.assign(new GraphClientError(why.reason), { [UNREACHABLE]: { ...why, host: new URL(url).host } satisfies UnreachableMark });
    }
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * Refuses, before a token is asked for, any request to another origin than the endpoint's: an
 * `@odata.nextLink` or delta link Graph hands back is followed only where the client was pointed.
 */
class SameOriginHandler implements Middleware {
  private next?: Middleware;
  constructor(private readonly origin: string) {}
  async execute(context: Context): Promise<void> {
    const url = typeof context.request === "string" ? context.request : context.request.url;
    if (!isSameOrigin(url, this.origin)) {
      let shown: string;
      try {
        shown = new URL(url).origin;
      } catch {
        shown = JSON.stringify(url);
      }
      throw Object.assign(
        new GraphClientError(`Graph sent a link to ${shown}, not ${this.origin}: it was not followed (a link is followed only to the endpoint's own origin)`),
        { [FOREIGN_ORIGIN]: true },
      );
    }
    if (!this.next) throw new Error("SameOriginHandler needs a next middleware");
    await this.next.execute(context);
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * The one place the Graph SDK is configured. `customHosts` makes the SDK attach the token to a
 * non-default endpoint (national clouds, loopback emulators); it only does so over HTTPS.
 * The SDK's own retry handler is left out: `withGraphRetry` retries every transient failure
 * (resets and truncated bodies too, which the SDK does not), so nothing is retried twice over.
 */
export function createGraphClient(options: GraphConnectionOptions): Client {
  const endpoint = new URL(checkedEndpoint(options.endpoint ?? CLOUDS.global.graph, "graph", "the Graph endpoint"));
  const authProvider = new TokenCredentialAuthenticationProvider(withTokenCache(options.credential), { scopes: [`${endpoint.origin}/.default`] });
  // The pacer's wait comes before the timeout's clock starts.
  const pacing = new PacingHandler(new GraphPacer());
  return Client.initWithMiddleware({
    middleware: [
      new SameOriginHandler(endpoint.origin),
      new AuthenticationHandler(authProvider),
      pacing,
      new TimeoutHandler(options.timeoutMs ?? 100_000),
      new ConnectionFailureHandler(),
      new HTTPMessageHandler(),
    ],
    baseUrl: `${endpoint.origin}/`,
    defaultVersion: "v1.0",
    customHosts: new Set([endpoint.hostname]),
  });
}

/** A failure to get a token (the SDK wraps @azure/identity's errors as code AuthenticationRequiredError). */
export function isAuthenticationFailure(error: unknown): boolean {
  const { name, code } = error as { name?: string; code?: string };
  return ["AuthenticationError", "CredentialUnavailableError", "AggregateAuthenticationError"].includes(name ?? "") || code === "AuthenticationRequiredError";
}

/** Whether a failed Graph call may succeed when tried again: throttling, 5xx, resets, timeouts, broken bodies. */
export function isTransient(error: unknown): boolean {
  if (isAuthenticationFailure(error)) return false;
  const { statusCode: status, name } = error as { statusCode?: number; name?: string };
  if (status === undefined) return isNetworkFailure(error);
  // -1/0: no HTTP answer (the SDK's code for network failures); 2xx: an answer whose body broke off.
  return status <= 0 || isTransientStatus(status) || (status >= 200 && status < 300) || name === "AbortError";
}

/**
 * Runs one Graph call, retrying transient failures; a final failure becomes a one-sentence error
 * with its exit code. A host that could not be reached is named with why and how long it was tried:
 * Graph's host per `policy` (a TLS failure once), the login host per the credential's own policy
 * (m365/credentials.ts SIGN_IN_RETRY), never tried again here.
 */
export async function withGraphRetry<T>(what: string, call: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  const { outcome, tries, elapsedMs } = await retrying(call, {
    policy,
    retryable: (o) => !o.ok && isRetryableGraphFailure(o.error),
    retryAfterOf: (o) => (o.ok || unreachableMark(o.error) ? undefined : graphRetryAfter(o.error as GraphFailure)),
  });
  if (outcome.ok) return outcome.value;
  const error = outcome.error;
  if (isForeignOrigin(error)) throw new UserFacingError(`${what}: ${(error as Error).message}`, ExitCode.remoteService);
  if (isLoginUnreachable(error)) throw new UserFacingError(`${what} failed: ${(error as Error).message}`, ExitCode.remoteService);
  const unreachable = unreachableMark(error);
  if (unreachable) {
    const seconds = (elapsedMs / 1000).toFixed(1);
    throw new UserFacingError(
      `${what} failed: could not reach the Microsoft Graph host ${unreachable.host}: ${unreachable.reason}; tried ${tries} time${tries === 1 ? "" : "s"} over ${seconds} s`,
      ExitCode.remoteService,
    );
  }
  if (!isGraphAnswer(error)) throw error; // a bug, not Graph: reported as an unexpected failure (exit 1)
  throw describeGraphFailure(error, what);
}

/** A failed Graph call, or a `$batch` sub-request's failure, as the SDK and the reader of batches describe it. */
export type GraphFailure = Error & { statusCode?: number; headers?: Headers | Record<string, string> };

/**
 * How long to wait before trying a failed Graph call again, as Retry-After: a throttled one (429)
 * not at all here, since the pacer (graph-pacer.ts), which saw the same answer, holds every request
 * until Graph's Retry-After has passed (it is the one place that reacts to throttling); else the
 * Retry-After Graph sent, if any (a 503's), else the policy's backoff.
 */
export function graphRetryAfter(error: GraphFailure): string | undefined {
  if (error.statusCode === 429) return "0";
  const headers = error.headers;
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get("retry-after") ?? undefined;
  const record = headers as Record<string, string>;
  const key = Object.keys(record).find((name) => name.toLowerCase() === "retry-after");
  return key === undefined ? undefined : record[key];
}

/** Whether a failed Graph call is worth another try: not a refused link or sign-in, a connection failure that may pass, a transient answer. */
function isRetryableGraphFailure(error: unknown): boolean {
  if (isForeignOrigin(error) || isLoginUnreachable(error)) return false;
  const unreachable = unreachableMark(error);
  if (unreachable) return unreachable.retryable;
  return isGraphAnswer(error) && isTransient(error);
}

/** An error of Graph's (an HTTP answer, a network failure, a refused sign-in) rather than of the code. */
function isGraphAnswer(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode !== undefined || isNetworkFailure(error) || isAuthenticationFailure(error);
}

/** The sign-in could not reach the login host (the SDK passes the credential's error on with its name as `code`). */
function isLoginUnreachable(error: unknown): boolean {
  const { name, code } = error as { name?: string; code?: string };
  return name === LOGIN_UNREACHABLE || code === LOGIN_UNREACHABLE;
}

/** Every item of a Graph collection, following `@odata.nextLink` as given, to the endpoint's own origin only (SameOriginHandler). */
export async function getAllPages<T>(client: Client, path: string, what = `GET ${path}`, policy: RetryPolicy = DEFAULT_RETRY): Promise<T[]> {
  const items: T[] = [];
  await forEachPage<T>(client, path, what, policy, (page) => items.push(...page));
  return items;
}

/** Follows `@odata.nextLink` from `path`, handing each page's items to `onPage` as it arrives (none are kept); returns how many there were. */
export async function forEachPage<T>(client: Client, path: string, what: string, policy: RetryPolicy, onPage: (items: T[]) => void): Promise<number> {
  let count = 0;
  let next: string | undefined = path;
  while (next) {
    const url: string = next;
    const page = await withGraphRetry(what, () => client.api(url).get() as Promise<{ value?: T[]; "@odata.nextLink"?: string }>, policy);
    if (!Array.isArray(page.value)) throw new UserFacingError(`Graph answered ${path} without a value list`, ExitCode.remoteService);
    count += page.value.length;
    onPage(page.value);
    next = page["@odata.nextLink"];
  }
  return count;
}

/** A failed Graph call as one sentence with the exit code of its failure class. */
export function describeGraphFailure(error: unknown, what: string): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const e = error as { statusCode?: number; code?: string; message?: string; name?: string };
  const reason = isMissingCredential(error) ? signInFailureReason(error) : [e.code, e.message?.split("\n")[0]].filter(Boolean).join(": ") || String(error);
  if (isAuthenticationFailure(error) || e.statusCode === 401 || e.statusCode === 403) {
    return new UserFacingError(`${what} was refused (authentication or permission): ${reason}`, ExitCode.auth);
  }
  if (e.statusCode === 404) return new UserFacingError(`${what}: not found (${reason})`, ExitCode.invalidInput);
  return new UserFacingError(`${what} failed${e.statusCode ? ` with HTTP ${e.statusCode}` : ""}: ${reason}`, ExitCode.remoteService);
}
