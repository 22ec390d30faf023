import { after, before, beforeEach } from "node:test";
import { complianceState, startComplianceEmulator, type ComplianceState } from "../../emulators/compliance";
import type { GraphEmulator } from "../../emulators/graph";
import { DEPLOYER_CLIENT_ID, startDeployerEmulator, TENANT_ID } from "./deployer";
import { retryWithoutWaiting } from "./retry-clock";

/**
 * The Security & Compliance emulator for a test file, with the Entra emulator that signs the
 * deploying identity in: a fresh tenant before each test, where the deploying identity holds `roles`.
 */
export function useComplianceEmulator(
  roles: string[],
  use: (emulators: { graph: GraphEmulator; compliance: GraphEmulator; state: ComplianceState }) => void,
): void {
  let graph: GraphEmulator | undefined;
  let compliance: GraphEmulator | undefined;
  let state = complianceState(TENANT_ID, {});
  before(async () => {
    graph = await startDeployerEmulator({ token: "deployer-token", routes: [] });
    compliance = await startComplianceEmulator(() => state, graph);
  });
  after(async () => {
    retryWithoutWaiting();
    await compliance?.close();
    await graph?.close();
  });
  beforeEach(() => {
    if (!graph || !compliance) throw new Error("the Security & Compliance emulator did not start");
    state = complianceState(TENANT_ID, { [DEPLOYER_CLIENT_ID]: roles });
    compliance.requests.length = 0;
    use({ graph, compliance, state });
  });
}
