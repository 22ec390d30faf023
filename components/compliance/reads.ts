import { describeCommand, type CmdletParameters } from "../../m365/exchange-admin-api";
import { complianceClient, COMPLIANCE_SERVICE, type ComplianceObject, type ComplianceTarget } from "../../m365/compliance-api";
import { KEEP_ACTIONS } from "../../m365/compliance-facts";
import { exchangeFailure } from "../exchange/reads";
import { locationNames, retainDaysOf, type RetainDays } from "./retention-policy/provider";

// Purview's retention policies and holds as `adopt` and `readiness` read them, as the deploying
// identity: Get- cmdlets only, a refusal exit 3 naming what the reader needs, an outage exit 4.

/** A retention policy with what it keeps, as the readers use it. */
export interface RetentionPolicyReading {
  name: string;
  guid: string;
  enabled: boolean;
  /** Enforce, or Test (simulation) and AuditAndNotify, which keep nothing. */
  mode: string;
  distributionStatus: string;
  /** The Exchange location's names: `All`, or mailboxes (and the groups expanded into them). */
  exchangeLocation: string[];
  exchangeLocationException: string[];
  /** Its rule's days, or undefined without a rule. */
  retainDays?: RetainDays;
  action?: string;
}

/** An eDiscovery case's hold. */
export interface CaseHoldReading {
  name: string;
  caseName: string;
  enabled: boolean;
  exchangeLocation: string[];
}

/** A policy that keeps Exchange mail now: on, enforced, with a rule that keeps (Keep or KeepAndDelete) and an Exchange location. */
export function preservesExchange(policy: RetentionPolicyReading): boolean {
  return (
    policy.enabled &&
    !/^(test|auditandnotify)$/i.test(policy.mode) &&
    policy.exchangeLocation.length > 0 &&
    KEEP_ACTIONS.some((action) => action.toLowerCase() === (policy.action ?? "").toLowerCase())
  );
}

/** `All` as the whole location. */
export const coversAll = (locations: readonly string[]) => locations.some((location) => /^all$/i.test(location));

/** Read-only Purview for `adopt` and `readiness`: `needs` is named when Security & Compliance refuses. */
export function complianceReader(target: ComplianceTarget, needs: string) {
  const client = complianceClient(target);
  const read = async (cmdlet: `Get-${string}`, parameters: CmdletParameters): Promise<ComplianceObject[]> => {
    try {
      return await client.invoke(cmdlet, parameters);
    } catch (error) {
      throw exchangeFailure(error, describeCommand(cmdlet, parameters), needs, COMPLIANCE_SERVICE);
    }
  };
  return {
    /** Every retention policy with its rule; the locations as they are (-DistributionDetail: without it they are "inaccurate", Get-RetentionCompliancePolicy). */
    async retentionPolicies(): Promise<RetentionPolicyReading[]> {
      const policies = await read("Get-RetentionCompliancePolicy", { DistributionDetail: true });
      const rules = await read("Get-RetentionComplianceRule", {});
      return policies.map((policy) => {
        const guid = String(policy.Guid ?? policy.Identity ?? "");
        const rule = rules.find((r) => String(r.Policy ?? "").toLowerCase() === guid.toLowerCase() && guid !== "");
        return {
          name: String(policy.Name ?? ""),
          guid,
          enabled: policy.Enabled !== false,
          mode: String(policy.Mode ?? "Enforce"),
          distributionStatus: String(policy.DistributionStatus ?? ""),
          exchangeLocation: locationNames(policy.ExchangeLocation),
          exchangeLocationException: locationNames(policy.ExchangeLocationException),
          ...(rule ? { retainDays: retainDaysOf(rule.RetentionDuration), action: String(rule.RetentionComplianceAction ?? "") } : {}),
        };
      });
    },
    /** Every eDiscovery case hold (Get-CaseHoldPolicy), with its locations as they are. */
    async caseHolds(): Promise<CaseHoldReading[]> {
      const holds = await read("Get-CaseHoldPolicy", { DistributionDetail: true });
      return holds.map((hold) => ({
        name: String(hold.Name ?? ""),
        caseName: String(hold.Case ?? hold.CaseId ?? ""),
        enabled: hold.Enabled !== false,
        exchangeLocation: locationNames(hold.ExchangeLocation),
      }));
    },
  };
}
export type ComplianceReader = ReturnType<typeof complianceReader>;
