import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { sendWithRetry } from "../../m365/rest";
import { DEFAULT_RETRY, retrying, retryDelayMs, withRetry, type RetryPolicy } from "../../core/retry";
import { startDeployerEmulator, TENANT_ID } from "../support/deployer";
import { graphError, type GraphEmulator } from "../../emulators/graph";
import { recordingClock } from "../support/retry-clock";

const FAST: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 50 };
let graph: GraphEmulator;
const organizationCalls = () => graph.requests.filter((r) => r.path === "/v1.0/organization").length;
const getOrganization = (policy: RetryPolicy) =>
  sendWithRetry({ tenantId: TENANT_ID, method: "GET", url: `${graph.url}/v1.0/organization`, scope: "https://graph.microsoft.com/.default" }, policy);

before(async () => {
  graph = await startDeployerEmulator({
    token: "retry-token",
    routes: [(request) => (request.method === "GET" && request.path === "/organization" ? { status: 200, body: { value: [{ id: TENANT_ID }] } } : undefined)],
  });
});
after(() => graph.close());
beforeEach(() => {
  graph.injected.length = 0;
  graph.requests.length = 0;
});

describe("the retry policy's delays", () => {
  it("waits what Retry-After asks, never longer than the cap", () => {
    assert.equal(retryDelayMs("1", 1), 1000);
    assert.equal(retryDelayMs("0", 3), 0);
    assert.equal(retryDelayMs("3600", 1), DEFAULT_RETRY.maxDelayMs);
  });

  it("without Retry-After, doubles per attempt with jitter of up to half, never past the cap", () => {
    for (let attempt = 1; attempt < DEFAULT_RETRY.maxAttempts; attempt++) {
      const full = DEFAULT_RETRY.baseDelayMs * 2 ** (attempt - 1);
      for (let i = 0; i < 50; i++) {
        const delay = retryDelayMs(undefined, attempt);
        assert.ok(delay >= full / 2 && delay <= full, `attempt ${attempt}: ${delay} ms`);
      }
    }
    assert.ok(retryDelayMs("not a number", 30) <= DEFAULT_RETRY.maxDelayMs);
  });
});

describe("sendWithRetry under the policy", () => {
  it("tries a service that stays down as often as the policy says, then returns its last answer", async () => {
    graph.injected.push(...Array.from({ length: 5 }, () => graphError(503, "ServiceUnavailable", "down")));
    const { status } = await getOrganization(FAST);
    assert.equal(status, 503);
    assert.equal(organizationCalls(), FAST.maxAttempts);
  });

  it("a Retry-After longer than the cap waits the cap, then succeeds", async () => {
    graph.injected.push({ ...graphError(429, "TooManyRequests", "slow down"), headers: { "retry-after": "3600" } });
    const clock = recordingClock();
    assert.equal((await getOrganization({ ...FAST, clock })).status, 200);
    assert.deepEqual(clock.waits, [FAST.maxDelayMs]);
  });

  it("does not retry an answer that will not change (400)", async () => {
    graph.injected.push(graphError(400, "BadRequest", "no"));
    assert.equal((await getOrganization(FAST)).status, 400);
    assert.equal(organizationCalls(), 1);
  });
});

describe("withRetry, the one retry loop", () => {
  const policy = (clock = recordingClock()): RetryPolicy & { clock: ReturnType<typeof recordingClock> } => ({
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    clock,
  });
  const reset = () => Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) });

  it("tries network failures again with doubling, jittered backoff, up to the policy's tries, then throws the last one", async () => {
    const rules = { policy: policy() };
    const tries: number[] = [];
    await assert.rejects(
      withRetry((n) => {
        tries.push(n);
        throw reset();
      }, rules),
      /fetch failed/,
    );
    assert.deepEqual(tries, [1, 2, 3, 4]);
    assert.equal(rules.policy.clock.waits.length, 3, "no wait after the last try");
    rules.policy.clock.waits.forEach((ms, i) => assert.ok(ms >= 50 * 2 ** i && ms <= 100 * 2 ** i, `wait ${i + 1}: ${ms} ms`));
  });

  it("returns the first success, after as many tries as it took", async () => {
    const rules = { policy: policy() };
    let tries = 0;
    assert.equal(await withRetry(() => (++tries < 3 ? Promise.reject(reset()) : Promise.resolve("ok")), rules), "ok");
    assert.equal(tries, 3);
  });

  it("passes a failure that is not retryable through at once, without waiting", async () => {
    const rules = { policy: policy() };
    let tries = 0;
    const bug = new RangeError("a bug, not the network");
    await assert.rejects(
      withRetry(() => {
        tries++;
        throw bug;
      }, rules),
      (error) => error === bug,
    );
    assert.equal(tries, 1);
    assert.deepEqual(rules.policy.clock.waits, []);
  });

  it("waits what Retry-After asks, capped at the policy's longest wait, and reports the tries and the time they took", async () => {
    const rules = { policy: policy() };
    const answers = [
      { status: 429, retryAfter: "2" },
      { status: 503, retryAfter: "3600" },
      { status: 200, retryAfter: null },
    ];
    const result = await retrying(() => answers.shift()!, {
      ...rules,
      retryable: (o) => o.ok && o.value.status !== 200,
      retryAfterOf: (o) => (o.ok ? o.value.retryAfter : undefined),
    });
    assert.deepEqual(result.outcome, { ok: true, value: { status: 200, retryAfter: null } });
    assert.deepEqual(rules.policy.clock.waits, [1000, 1000], "2 s and an hour asked, the cap (1 s) waited");
    assert.equal(result.tries, 3);
    assert.equal(result.elapsedMs, 2000);
  });

  it("ends with the last value when every try's answer was worth another", async () => {
    const result = await retrying(() => ({ status: 503 }), { policy: policy(), retryable: (o) => o.ok && o.value.status === 503 });
    assert.deepEqual([result.outcome, result.tries], [{ ok: true, value: { status: 503 } }, 4]);
  });
});
