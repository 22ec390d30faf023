import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { documentedResourceUnits, GraphPacer } from "../../m365/graph-pacer";

/** A clock the test moves; a later `admit` makes the pacer look at it again. */
function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}
const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

async function admitted(pacer: GraphPacer, units: number): Promise<{ done: boolean }> {
  const state = { done: false };
  void pacer.admit(units).then(() => (state.done = true));
  await settled();
  return state;
}

/** A pacer whose requests of 40 RU each Graph answered `answered` times, then refused with a 429. */
async function refusedAfter(answered: number): Promise<{ time: ReturnType<typeof clock>; pacer: GraphPacer }> {
  const time = clock();
  const pacer = new GraphPacer(time.now);
  const spends = await Promise.all(Array.from({ length: answered + 1 }, () => pacer.admit(40)));
  spends.slice(0, answered).forEach((spend) => pacer.settle(spend, [{ status: 200, resourceUnits: 40 }]));
  pacer.settle(spends[answered]!, [{ status: 429, retryAfterSeconds: 1 }]);
  return { time, pacer };
}

describe("Graph pacer", () => {
  it("knows Microsoft's documented costs: users 2, members 3, transitiveMembers 5, others 1, $select one less", () => {
    assert.equal(documentedResourceUnits("GET", "https://graph.microsoft.com/v1.0/users?$top=999"), 2);
    assert.equal(documentedResourceUnits("GET", "https://graph.microsoft.com/v1.0/users?$select=id&$top=999"), 1);
    assert.equal(documentedResourceUnits("GET", "groups/abc/members?$select=id&$top=999"), 2);
    assert.equal(documentedResourceUnits("GET", "/groups/abc/transitiveMembers"), 5);
    assert.equal(documentedResourceUnits("GET", "/groups?$filter=mailEnabled eq true"), 1);
  });

  it("sends everything at once while it knows no budget", async () => {
    const pacer = new GraphPacer();
    const spends = await Promise.all(Array.from({ length: 50 }, () => pacer.admit(40)));
    assert.equal(spends.length, 50);
    assert.equal(pacer.learnedBudget, undefined);
  });

  it("learns the budget from x-ms-throttle-limit-percentage and then holds requests until the window has room", async () => {
    const time = clock();
    const pacer = new GraphPacer(time.now);
    for (let i = 0; i < 9; i++) {
      const spend = await pacer.admit(100);
      pacer.settle(spend, [{ status: 200, resourceUnits: 100, ...(i === 8 ? { limitFraction: 0.9 } : {}) }]);
      time.advance(100);
    }
    assert.equal(pacer.learnedBudget, 1000);
    const held = await admitted(pacer, 100);
    assert.equal(held.done, false, "900 of 1,000 RU spent in the last 10 s: no room for 100 more under the pacer's headroom");
    time.advance(9_000);
    assert.equal((await admitted(pacer, 1)).done, false);
    assert.equal(held.done, false, "the oldest units are still in the window");
    time.advance(1_500);
    await admitted(pacer, 1);
    assert.equal(held.done, true, "the oldest units have left the window");
  });

  it("learns the budget from a 429: what Graph had counted when it refused", async () => {
    const { time, pacer } = await refusedAfter(9);
    assert.equal(pacer.learnedBudget, 360, "what Graph had counted when it refused");
    time.advance(10_300);
    assert.equal((await admitted(pacer, 40)).done, true, "once the window has room again");
  });

  it("a budget learned from a 429 grows back by a tenth per calm window, so one stray 429 does not slow the whole run", async () => {
    const { time, pacer } = await refusedAfter(5);
    assert.equal(pacer.learnedBudget, 200);
    const answer = async () => pacer.settle(await pacer.admit(10), [{ status: 200, resourceUnits: 10 }]);
    time.advance(10_500);
    await answer();
    const near = (expected: number) => Math.abs(pacer.learnedBudget! - expected) < 1e-9;
    assert.ok(near(220), "a window without a 429");
    await answer();
    assert.ok(near(220), "once per window");
    time.advance(10_500);
    await answer();
    assert.ok(near(242));
    // Graph's own figure, when it sends one, is taken as it is and not grown.
    for (let i = 0; i < 4; i++) pacer.settle(await pacer.admit(50), [{ status: 200, resourceUnits: 50, ...(i === 3 ? { limitFraction: 0.85 } : {}) }]);
    const fromHeader = pacer.learnedBudget!;
    time.advance(10_500);
    await answer();
    assert.equal(pacer.learnedBudget, fromHeader);
  });

  it("after a 429 no request goes out until its Retry-After has passed", async () => {
    const time = clock();
    const pacer = new GraphPacer(time.now);
    const spend = await pacer.admit(2);
    pacer.settle(spend, [{ status: 429, retryAfterSeconds: 2 }]);
    time.advance(1_000);
    const held = await admitted(pacer, 2);
    assert.equal(held.done, false);
    time.advance(1_001);
    await admitted(pacer, 2);
    assert.equal(held.done, true);
  });

  it("a 429 with next to nothing spent (another limit, or a fault) teaches no budget but is still waited out", async () => {
    const pacer = new GraphPacer();
    const spend = await pacer.admit(2);
    pacer.settle(spend, [{ status: 429, retryAfterSeconds: 0 }]);
    assert.equal(pacer.learnedBudget, undefined);
    await pacer.admit(2);
  });

  it("counts a $batch by its sub-requests: each answer's own cost, nothing for a refused one", async () => {
    const time = clock();
    const pacer = new GraphPacer(time.now);
    const spend = await pacer.admit(60);
    pacer.settle(spend, [
      { status: 200, resourceUnits: 2 },
      { status: 200, resourceUnits: 2, limitFraction: 0.8 },
      { status: 429, retryAfterSeconds: 0 },
    ]);
    assert.equal(spend.units, 4);
    assert.equal(pacer.learnedBudget, undefined, "under 100 RU spent teaches nothing");
  });
});
