import { after, before, beforeEach } from "node:test";
import { entraRoutes } from "../../emulators/entra-readiness";
import { exchangeRoutes } from "../../emulators/exchange";
import type { EmulatorResponse, GraphEmulator } from "../../emulators/graph";
import { readinessTenant, type ReadinessTenant } from "../../emulators/readiness-tenant";
import { startDeployerEmulator, TENANT_ID } from "./deployer";

/** The example stack's scope group and app name (test/support/configs.ts, validRawValues). */
export const SCOPE_GROUP = "Retain Archived Users";
export const APP_NAME = "Retain Archiving";

/** A tenant as a deploy of the example stack leaves it: three ready mailboxes in the scope group. */
export const deployedTenant = (changes: { scopeGroup?: string | null; mailboxes?: number } = {}): ReadinessTenant =>
  readinessTenant({
    tenantId: TENANT_ID,
    mailboxes: changes.mailboxes ?? 3,
    scopeGroup: changes.scopeGroup === null ? undefined : (changes.scopeGroup ?? SCOPE_GROUP),
    appDisplayName: APP_NAME,
  });

export interface ReadinessWorld {
  /** Entra, Graph and Exchange in one loopback emulator, as the deploying identity reaches them. */
  graph: GraphEmulator;
  tenant: ReadinessTenant;
  /** Answers instead of Exchange for a cmdlet (a refusal, an outage); undefined lets Exchange answer. */
  exchangeFault?: (cmdlet: string) => EmulatorResponse | undefined;
}

/** One emulator for the test file; a freshly deployed tenant and no faults before each test. */
export function useReadinessEmulator(): ReadinessWorld {
  const world = { tenant: deployedTenant() } as ReadinessWorld;
  before(async () => {
    world.graph = await startDeployerEmulator({
      token: "readiness-token",
      routes: [(request, emulator) => entraRoutes(world.tenant.entra, () => world.tenant.exchange)(request, emulator)],
      adminApi: (request, emulator) => {
        const cmdlet = (request.body as { CmdletInput?: { CmdletName?: string } } | undefined)?.CmdletInput?.CmdletName ?? "";
        return world.exchangeFault?.(cmdlet) ?? exchangeRoutes(world.tenant.exchange)(request, emulator);
      },
    });
  });
  after(() => world.graph.close());
  beforeEach(() => {
    world.tenant = deployedTenant();
    world.exchangeFault = undefined;
    world.graph.requests.length = 0;
  });
  return world;
}
