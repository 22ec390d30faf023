// Used inside dynamic providers, which Pulumi serializes: functions and constants only.

/** How often and how long a call to a remote service (Microsoft, Cloudflare, GitHub) is tried again. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  /** First backoff delay; doubles per attempt, with jitter. */
  baseDelayMs: number;
  /** No wait is longer, a Retry-After included. */
  maxDelayMs: number;
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

/** Waits `retryDelayMs` before the next try. */
export function pauseBeforeRetry(retryAfter: string | null | undefined, attempt: number, policy: RetryPolicy = DEFAULT_RETRY): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, retryDelayMs(retryAfter, attempt, policy)));
}
