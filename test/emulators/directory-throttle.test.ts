import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { directoryRoutes } from "../../emulators/directory";
import { syntheticTenant, type DirectoryTenant } from "../../emulators/directory-tenant";
import type { EmulatorResponse, GraphEmulator } from "../../emulators/graph";

// The emulator the sync's pacer is measured against must throttle as Microsoft documents it, not in a way that rewards bursts.

let tenant: DirectoryTenant;
const emulator = { url: "https://127.0.0.1:1" } as GraphEmulator;
/** `GET /users` without `$select`: 2 RU. */
const getUsers = (): EmulatorResponse =>
  directoryRoutes(tenant)({ method: "GET", path: "/users", query: new URLSearchParams({ $top: "1" }), headers: {} }, emulator)!;
const spend = (requests: number) => Array.from({ length: requests }, getUsers);

describe("directory emulator: resource-unit throttling", () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
    tenant = syntheticTenant(1, { users: 10, groups: 1, memberships: 1 }); // under 50 users: 3,500 RU per 10 s
    tenant.throttle = true;
  });
  afterEach(() => mock.timers.reset());

  it("names each answer's cost, and the share of the budget spent once past 80 %", () => {
    const [first] = spend(1);
    assert.equal(first!.headers?.["x-ms-resource-unit"], "2");
    assert.equal(first!.headers?.["x-ms-throttle-limit-percentage"], undefined);
    const late = spend(1500).at(-1)!;
    assert.equal(late.headers?.["x-ms-throttle-limit-percentage"], "0.86");
  });

  it("refuses past the budget with Retry-After in whole seconds, until the units spent longest ago have left a sliding 10-second window", () => {
    assert.ok(spend(1000).every((r) => r.status === 200)); // 2,000 RU at 0 s
    mock.timers.tick(5_000);
    assert.ok(spend(750).every((r) => r.status === 200)); // 1,500 RU at 5 s: the budget is spent
    const refused = getUsers();
    assert.equal(refused.status, 429);
    assert.equal(refused.headers?.["retry-after"], "5");

    mock.timers.tick(5_001); // the units of 0 s have left the window; those of 5 s have not
    const after = spend(1001);
    assert.ok(after.slice(0, 1000).every((r) => r.status === 200));
    assert.equal(after[1000]!.status, 429, "a window that tumbled at 10 s would have allowed the whole budget again");
    assert.equal(after[1000]!.headers?.["retry-after"], "5");
    assert.equal(tenant.counters.throttled, 2);
  });
});
