import { after, before, beforeEach } from "node:test";
import { exchangeRoutes, exchangeState, type ExchangeState } from "../../emulators/exchange";
import type { GraphEmulator } from "../../emulators/graph";
import { startDeployerEmulator } from "./deployer";

/**
 * One Exchange admin API emulator for the whole test file, with the tenant's Exchange state fresh
 * and no injected faults before each test; `use` receives both before each test.
 */
export function useExchangeEmulator(tenantId: string, use: (emulator: GraphEmulator, state: ExchangeState) => void): void {
  let emulator: GraphEmulator | undefined;
  let state = exchangeState(tenantId);
  before(async () => {
    emulator = await startDeployerEmulator({ token: "exchange-token", routes: [], adminApi: (request, e) => exchangeRoutes(state)(request, e) });
  });
  after(() => emulator?.close());
  beforeEach(() => {
    if (!emulator) throw new Error("the Exchange emulator did not start");
    state = exchangeState(tenantId);
    emulator.injected.length = 0;
    use(emulator, state);
  });
}
