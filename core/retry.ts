// Used inside dynamic providers, which Pulumi serializes: functions and constants only.

/** How time passes for a retry: real by default; a test passes its own, so it never sleeps. */
export interface RetryClock {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/** How often and how long a call to a remote service (Microsoft, Cloudflare, GitHub) or a file held open is tried again. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  /** First backoff delay; doubles per attempt, with jitter. */
  baseDelayMs: number;
  /** No wait is longer, a Retry-After included. */
  maxDelayMs: number;
  /** The real clock (setTimeout, Date.now) when not given. */
  clock?: RetryClock;
}

/**
 * Six tries over about half a minute of backoff (1, 2, 4, 8, 16 s, each jittered down by up to
 * half) ride out a brief outage; throttled calls wait what the service asks, up to two minutes.
 */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 120_000 };

/** An HTTP answer worth another try: throttling (429) or a server error (5xx). */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** A failure of the connection rather than of the code: resets, timeouts, bodies cut short. */
export function isNetworkFailure(error: unknown): boolean {
  const { name, cause } = error as { name?: string; cause?: unknown };
  return ["AbortError", "TimeoutError", "FetchError", "SyntaxError"].includes(name ?? "") || (name === "TypeError" && cause !== undefined);
}

/** The wait before try `attempt + 1`: Retry-After (seconds) when given, else exponential backoff with jitter; never over the cap. */
export function retryDelayMs(retryAfter: string | null | undefined, attempt: number, policy: RetryPolicy = DEFAULT_RETRY): number {
  const seconds = Number(retryAfter);
  if (retryAfter && Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, policy.maxDelayMs);
  return Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs) * (0.5 + Math.random() / 2);
}

/** What one try came to: the value it returned, or what it threw. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface RetryRules<T> {
  /** `DEFAULT_RETRY` when not given. */
  policy?: RetryPolicy;
  /** Whether another try may turn out otherwise. Default: a network failure (`isNetworkFailure`); a value never. */
  retryable?: (outcome: Outcome<T>) => boolean;
  /** The service's Retry-After (seconds) for that outcome; without one the wait is the policy's backoff. */
  retryAfterOf?: (outcome: Outcome<T>) => string | null | undefined;
}

/** The last try's outcome, how many tries there were and how long they took (by the policy's clock). */
export interface Retried<T> {
  outcome: Outcome<T>;
  tries: number;
  elapsedMs: number;
}

/**
 * The one retry loop: runs `attempt` (given its number, from 1) until its outcome is not
 * `retryable` or the policy's tries are spent, waiting `retryDelayMs` between tries. Returns the
 * last outcome, for the caller to turn into its value or its error.
 */
export async function retrying<T>(attempt: (tries: number) => T | Promise<T>, rules: RetryRules<T> = {}): Promise<Retried<T>> {
  const policy = rules.policy ?? DEFAULT_RETRY;
  const now = policy.clock?.now ?? (() => Date.now());
  const sleep = policy.clock?.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const retryable = rules.retryable ?? ((outcome: Outcome<T>) => !outcome.ok && isNetworkFailure(outcome.error));
  const started = now();
  for (let tries = 1; ; tries++) {
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await attempt(tries) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (tries >= policy.maxAttempts || !retryable(outcome)) return { outcome, tries, elapsedMs: now() - started };
    await sleep(retryDelayMs(rules.retryAfterOf?.(outcome), tries, policy));
  }
}

/** `retrying`, ending with the last try's value, or throwing what it threw. */
export async function withRetry<T>(attempt: (tries: number) => T | Promise<T>, rules: RetryRules<T> = {}): Promise<T> {
  const { outcome } = await retrying(attempt, rules);
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}
