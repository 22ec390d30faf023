import type { Context, Middleware } from "@microsoft/microsoft-graph-client";
import type { RetryClock } from "../core/retry";

// Keeps a client's Graph requests under the tenant's throttle instead of bursting into it.
// Microsoft's identity limits are resource units (RU) per app and tenant per 10 seconds; Microsoft
// asks clients to pace themselves, as repeated 429s can lengthen throttling. It is the one place
// that reacts to throttling: a throttled call is tried again at once (graph-client.ts
// graphRetryAfter) and waits here, with every other request, until its Retry-After has passed.

export const THROTTLE_WINDOW_MS = 10_000;
/** Units spent this long ago are taken as gone from Graph's window too (Graph counts a request a little after it is sent). */
const EXPIRY_MARGIN_MS = 100;
/** The share of the learned budget the pacer spends per window. */
const HEADROOM = 0.97;
/** A 429 with less than this spent is not the RU limit (another limit, or a fault): it teaches no budget. */
const MIN_LEARNED_BUDGET = 100;
/**
 * A budget learned from a 429 grows by this factor after each full window without another: that
 * 429 may have come from another limit or a passing fault, and must not slow the rest of the run
 * for good. The percentage header, when Graph sends it, sets the budget exactly instead.
 */
const RECOVERY_PER_CALM_WINDOW = 1.1;

/**
 * The clock a pacer tells time and waits by when none is given: the real one (Date.now,
 * setTimeout) unless set. A test sets its own, as it may DEFAULT_RETRY's, so that a Retry-After
 * passes without being slept.
 */
export const PACER_DEFAULTS: { clock?: RetryClock } = {};

/** The documented cost of a request: GET users 2, group members 3, transitiveMembers 5, anything else 1; `$select` takes 1 off. */
export function documentedResourceUnits(method: string, url: string): number {
  if (method.toUpperCase() !== "GET") return 1;
  // Called for every `$batch` sub-request: plain string work rather than a URL parse.
  const [beforeQuery = "", query = ""] = url.split("?", 2);
  const path = `/${beforeQuery
    .replace(/^https?:\/\/[^/]+/, "")
    .replace(/^\/+/, "")
    .replace(/^(v1\.0|beta)\//, "")}`;
  const base = path.endsWith("/transitiveMembers") ? 5 : path.endsWith("/members") ? 3 : /^\/users(\/|$)/.test(path) ? 2 : 1;
  return Math.max(1, base - (/(^|&)(%24|\$)select=/.test(query) ? 1 : 0));
}

/** What an answer (or one `$batch` sub-answer) said about the throttle. */
export interface ThrottleObservation {
  status: number;
  /** `x-ms-resource-unit`: what the request cost. */
  resourceUnits?: number;
  /** `x-ms-throttle-limit-percentage`: the share of the budget spent, past 0.8. */
  limitFraction?: number;
  /** `Retry-After`, seconds. */
  retryAfterSeconds?: number;
}

export interface Spend {
  at: number;
  units: number;
}

interface Waiter {
  units: number;
  admit: (spend: Spend) => void;
}

/**
 * Counts the RU spent in a sliding 10-second window (the real cost once Graph names it, else the
 * documented one), learns the budget from `x-ms-throttle-limit-percentage` or from the first 429,
 * and from then on admits a request only while the window has room for it; after a 429 every
 * request waits out `Retry-After`. Requests in flight are limited to what the budget can use at the
 * latency seen, so a throttled moment finds few of them on the wire.
 */
export class GraphPacer {
  private readonly spends: Spend[] = [];
  private readonly queue: Waiter[] = [];
  private budget?: number;
  private budgetFromThrottling = false;
  private calmSince = 0;
  private pausedUntil = 0;
  private inFlight = 0;
  private latencyMs = 0;
  private timer?: NodeJS.Timeout;

  private readonly now: () => number;

  constructor(
    now?: () => number,
    private readonly clock: RetryClock | undefined = PACER_DEFAULTS.clock,
  ) {
    this.now = now ?? clock?.now ?? Date.now;
  }

  /** The RU per 10 s learned so far, if any. */
  get learnedBudget(): number | undefined {
    return this.budget;
  }

  /** Resolves when a request of this cost may go out; settle the spend when its answer is in. */
  admit(units: number): Promise<Spend> {
    return new Promise((admit) => {
      this.queue.push({ units, admit });
      this.pump();
    });
  }

  /** Records what the answers to an admitted request said; `observations` holds one per sub-request of a `$batch`. */
  settle(spend: Spend, observations: readonly ThrottleObservation[]): void {
    this.inFlight--;
    this.latencyMs = this.latencyMs === 0 ? this.now() - spend.at : 0.8 * this.latencyMs + 0.2 * (this.now() - spend.at);
    const throttled = observations.filter((o) => o.status === 429);
    // A refused request costs nothing; an answered one what Graph says, else the estimate's share.
    const estimate = observations.length > 0 ? spend.units / observations.length : spend.units;
    spend.units = observations.length === 0 ? spend.units : observations.reduce((sum, o) => sum + (o.status === 429 ? 0 : (o.resourceUnits ?? estimate)), 0);
    const spentByThen = this.spentUpTo(spend);
    const fraction = Math.max(0, ...observations.map((o) => o.limitFraction ?? 0));
    if (fraction > 0 && spentByThen >= MIN_LEARNED_BUDGET) {
      this.budget = spentByThen / fraction;
      this.budgetFromThrottling = false;
    }
    if (throttled.length === 0 && this.budget !== undefined && this.budgetFromThrottling && this.now() - this.calmSince >= THROTTLE_WINDOW_MS) {
      this.budget *= RECOVERY_PER_CALM_WINDOW;
      this.calmSince = this.now();
    }
    if (throttled.length > 0) {
      this.calmSince = this.now();
      if (spentByThen >= MIN_LEARNED_BUDGET && spentByThen < (this.budget ?? Infinity)) {
        this.budget = spentByThen;
        this.budgetFromThrottling = fraction === 0;
      }
      const seconds = Math.max(0, ...throttled.map((o) => o.retryAfterSeconds ?? 1));
      this.pausedUntil = Math.max(this.pausedUntil, this.now() + seconds * 1000);
    }
    this.pump();
  }

  /** Units still in the window that were sent no later than this one, it included. */
  private spentUpTo(spend: Spend): number {
    let sum = 0;
    for (const s of this.spends) if (s.at <= spend.at) sum += s.units;
    return sum;
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    while (this.spends.length > 0 && this.spends[0]!.at <= now - THROTTLE_WINDOW_MS - EXPIRY_MARGIN_MS) this.spends.shift();
    while (this.queue.length > 0) {
      if (now < this.pausedUntil) return this.wake(this.pausedUntil - now);
      const head = this.queue[0]!;
      if (this.budget !== undefined) {
        if (this.inFlight >= this.concurrencyLimit(this.budget, head.units)) return; // a settle pumps again
        const room = this.budget * HEADROOM - this.spends.reduce((sum, s) => sum + s.units, 0);
        if (head.units > room && this.spends.length > 0) return this.wake(this.untilRoomFor(head.units) - now);
      }
      this.queue.shift();
      const spend = { at: now, units: head.units };
      this.spends.push(spend);
      this.inFlight++;
      head.admit(spend);
    }
  }

  /** Enough requests on the wire to spend the budget at the latency seen (Little's law), with one to spare. */
  private concurrencyLimit(budget: number, units: number): number {
    const unitsPerMs = (budget * HEADROOM) / THROTTLE_WINDOW_MS;
    return Math.max(1, Math.ceil((unitsPerMs * this.latencyMs * 2) / Math.max(1, units)) + 1);
  }

  /** When enough of the oldest spends have left the window for `units` more. */
  private untilRoomFor(units: number): number {
    let spent = this.spends.reduce((sum, s) => sum + s.units, 0);
    for (const s of this.spends) {
      spent -= s.units;
      if (spent + units <= (this.budget ?? Infinity) * HEADROOM) return s.at + THROTTLE_WINDOW_MS + EXPIRY_MARGIN_MS;
    }
    return this.now();
  }

  private wake(afterMs: number): void {
    if (this.clock) void this.clock.sleep(Math.max(1, afterMs)).then(() => this.pump());
    else this.timer = setTimeout(() => this.pump(), Math.max(1, afterMs));
  }
}

/** The pacer as a Graph SDK middleware: waits for admission, sends, and reports what the answer said. */
export class PacingHandler implements Middleware {
  private next?: Middleware;
  constructor(private readonly pacer: GraphPacer) {}

  async execute(context: Context): Promise<void> {
    if (!this.next) throw new Error("PacingHandler needs a next middleware");
    const url = typeof context.request === "string" ? context.request : context.request.url;
    const method = context.options?.method ?? "GET";
    const batch = batchRequests(url, context.options?.body);
    const units = batch ? batch.reduce((sum, sub) => sum + documentedResourceUnits(sub.method, sub.url), 0) : documentedResourceUnits(method, url);
    const spend = await this.pacer.admit(units);
    let observations: ThrottleObservation[] = [];
    try {
      await this.next.execute(context);
      const response = context.response;
      if (response)
        observations =
          batch && response.ok ? await batchObservations(response) : [observation(response.status, (name) => response.headers.get(name) ?? undefined)];
    } finally {
      this.pacer.settle(spend, observations);
    }
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

function batchRequests(url: string, body: unknown): { method: string; url: string }[] | undefined {
  if (!/\/\$batch(\?|$)/.test(new URL(url, "https://graph.invalid/").pathname)) return undefined;
  try {
    const parsed = (typeof body === "string" ? JSON.parse(body) : body) as { requests?: { method?: string; url?: string }[] } | undefined;
    return (parsed?.requests ?? []).map((r) => ({ method: r.method ?? "GET", url: r.url ?? "" }));
  } catch {
    return undefined;
  }
}

async function batchObservations(response: Response): Promise<ThrottleObservation[]> {
  try {
    const body = (await response.clone().json()) as { responses?: { status: number; headers?: Record<string, string> }[] };
    return (body.responses ?? []).map((r) => {
      const headers = new Map(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      return observation(r.status, (name) => headers.get(name));
    });
  } catch {
    return [];
  }
}

function observation(status: number, header: (name: string) => string | undefined): ThrottleObservation {
  const number = (name: string) => {
    const value = Number(header(name));
    return header(name) !== undefined && Number.isFinite(value) ? value : undefined;
  };
  const fraction = number("x-ms-throttle-limit-percentage");
  // Documented as a fraction (0.8 to 1.8); a value over 2 can only be a percentage.
  return {
    status,
    resourceUnits: number("x-ms-resource-unit"),
    limitFraction: fraction !== undefined && fraction > 2 ? fraction / 100 : fraction,
    retryAfterSeconds: number("retry-after"),
  };
}
