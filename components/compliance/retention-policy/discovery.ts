import type { Client } from "@microsoft/microsoft-graph-client";
import { graphRead, valuesOf } from "../../../m365/app-registrations";
import { EXCHANGE_RETENTION_LICENCES, EXCHANGE_RETENTION_PLANS } from "../../../m365/compliance-facts";
import type { Discovery, Finding, UrnOf } from "../../discovery";
import { coversAll, type CaseHoldReading, type ComplianceReader, type RetentionPolicyReading } from "../reads";
import type { RetainDays } from "./provider";

/** The retention policy the stack declares, by its resource name, with what discovery compares. */
export interface PlannedRetentionPolicy {
  resourceName: string;
  name: string;
  retainDays: RetainDays;
  exchangeLocation: "All" | string[];
}

/** The configuration key that settles a conflict of the policy's name (`retain-m365:preservation.retainDays`). */
export interface RetentionPolicySettings {
  retainDays: string;
}

/** What reading the tenant's licences needs of Graph (subscribedSkus). */
export const SUBSCRIBED_SKUS_PERMISSION = "LicenseAssignment.Read.All or Organization.Read.All";

/** "for 90 days", "without end". */
const days = (value: RetainDays | undefined) => (value === undefined ? "by no rule" : value === "unlimited" ? "without end" : `for ${value} days`);
const where = (locations: readonly string[]) =>
  coversAll(locations)
    ? "every mailbox"
    : `${locations.length} mailbox${locations.length === 1 ? "" : "es"} or group${locations.length === 1 ? "" : "s"} named in it`;

function describePolicy(policy: RetentionPolicyReading): string {
  const state = [policy.enabled ? "on" : "off", policy.mode, policy.distributionStatus && `distribution ${policy.distributionStatus}`]
    .filter(Boolean)
    .join(", ");
  const rule = policy.action === undefined ? "no rule" : `${policy.action} ${days(policy.retainDays)}`;
  const except = policy.exchangeLocationException.length > 0 ? ` except ${policy.exchangeLocationException.length}` : "";
  return `the retention policy "${policy.name}" covers ${where(policy.exchangeLocation)}${except} (${rule}; ${state})`;
}

function describeHold(hold: CaseHoldReading): string {
  return `the hold "${hold.name}"${hold.caseName ? ` of the eDiscovery case "${hold.caseName}"` : ""} covers ${where(hold.exchangeLocation)} (${hold.enabled ? "on" : "off"})`;
}

/** What differs between an existing policy and the planned one; empty when the deploy can take it over. */
function differences(existing: RetentionPolicyReading, planned: PlannedRetentionPolicy): string[] {
  const found: string[] = [];
  const wanted = planned.exchangeLocation === "All" ? ["All"] : planned.exchangeLocation;
  const sameLocation =
    JSON.stringify(existing.exchangeLocation.map((l) => l.toLowerCase()).sort()) === JSON.stringify(wanted.map((l) => l.toLowerCase()).sort());
  if (!sameLocation) found.push(`it covers ${where(existing.exchangeLocation)}, ${where(wanted)} here`);
  if (existing.action !== undefined && existing.retainDays !== planned.retainDays)
    found.push(`it keeps items ${days(existing.retainDays)}, ${days(planned.retainDays)} here`);
  if (existing.action !== undefined && existing.action !== "Keep") found.push(`its rule's action is ${existing.action}, Keep here`);
  if (!existing.enabled) found.push("it is turned off");
  return found;
}

/**
 * The stack's retention policy: created where no policy has its name, taken over where one keeps
 * what is declared (or was left without its rule), a conflict (settled by `settings.retainDays`, or
 * by removing it) where one keeps anything else. Beside it, a notice for every other retention
 * policy and case hold that covers Exchange mailboxes: they keep mail too, whatever the stack does.
 */
export async function discoverRetentionPolicy(
  compliance: ComplianceReader,
  planned: PlannedRetentionPolicy,
  settings: RetentionPolicySettings,
  urnOf: UrnOf,
): Promise<Discovery> {
  const policies = await compliance.retentionPolicies();
  const holds = await compliance.caseHolds();
  const existing = policies.find((policy) => policy.name.toLowerCase() === planned.name.toLowerCase());
  const urn = urnOf(planned.resourceName);
  const declared = `${where(planned.exchangeLocation === "All" ? ["All"] : planned.exchangeLocation)}, keeping items ${days(planned.retainDays)} (-RetentionComplianceAction Keep)`;
  let finding: Finding;
  if (!existing) {
    finding = { urn, action: "create", detail: `The deploy creates the retention policy "${planned.name}" for ${declared}; a destroy leaves it in place.` };
  } else {
    const differs = differences(existing, planned);
    finding =
      differs.length === 0
        ? {
            urn,
            action: "adopt",
            detail: `The retention policy "${planned.name}" exists for ${declared}${existing.action === undefined ? ", without its rule, which the deploy adds" : ""}: the deploy takes it over as it is (its provider adopts an existing policy on create); a destroy leaves it in place.`,
          }
        : {
            urn,
            action: "conflict",
            decide: settings.retainDays,
            detail:
              `The retention policy "${planned.name}" exists, but ${differs.join("; ")}, so the deploy would stop there. ` +
              `Set ${settings.retainDays} to what it keeps, or remove it by hand (Remove-RetentionCompliancePolicy -Identity "${planned.name}").`,
          };
  }
  const others = policies.filter((policy) => policy !== existing && policy.exchangeLocation.length > 0);
  const notices = [
    ...others.map((policy) => `Exchange mail is already kept: ${describePolicy(policy)}.`),
    ...holds.filter((hold) => hold.exchangeLocation.length > 0).map((hold) => `Exchange mail is already kept: ${describeHold(hold)}.`),
  ];
  return { findings: [finding], notices };
}

/**
 * A warning when no licence of the tenant gives retention policies for Exchange mailboxes: none of
 * its subscriptions in use (subscribedSkus' capabilityStatus Enabled or Warning, the grace period)
 * has one of the service plans of EXCHANGE_RETENTION_PLANS. Undefined when one does.
 */
export async function retentionLicenceWarning(graph: Client): Promise<string | undefined> {
  const skus = await graphRead("/subscribedSkus", SUBSCRIBED_SKUS_PERMISSION, () =>
    valuesOf<{ skuPartNumber?: string; capabilityStatus?: string; servicePlans?: { servicePlanId?: string }[] }>(graph.api("/subscribedSkus").get()),
  );
  const plans = new Set(Object.keys(EXCHANGE_RETENTION_PLANS));
  const licensed = skus.some(
    (sku) =>
      /^(enabled|warning)$/i.test(sku.capabilityStatus ?? "Enabled") &&
      (sku.servicePlans ?? []).some((plan) => plans.has(String(plan.servicePlanId ?? "").toLowerCase())),
  );
  if (licensed) return undefined;
  return (
    `Warning: no licence of the tenant gives retention policies for Exchange mailboxes (none of its subscriptions has ${Object.values(EXCHANGE_RETENTION_PLANS).join(", ")}): ` +
    `the deploy can create the policy, but Microsoft licenses it per user through ${EXCHANGE_RETENTION_LICENCES}.`
  );
}
