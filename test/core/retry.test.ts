import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { sendWithRetry } from "../../m365/rest";
import { DEFAULT_RETRY, retryDelayMs, type RetryPolicy } from "../../core/retry";
import { startDeployerEmulator, TENANT_ID } from "../support/deployer";
import { graphError, type GraphEmulator } from "../../emulators/graph";

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
    const started = Date.now();
    assert.equal((await getOrganization(FAST)).status, 200);
    assert.ok(Date.now() - started < 5_000);
  });

  it("does not retry an answer that will not change (400)", async () => {
    graph.injected.push(graphError(400, "BadRequest", "no"));
    assert.equal((await getOrganization(FAST)).status, 400);
    assert.equal(organizationCalls(), 1);
  });
});
