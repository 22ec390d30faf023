import * as pulumi from "@pulumi/pulumi";
import { PRESERVATION_POLICY_NAME, RetentionPolicy, type RetainDays } from "./retention-policy";
import { retentionPolicyPermissions } from "./retention-policy/permissions";

export interface PreservationArgs {
  tenantId: pulumi.Input<string>;
  /** Security & Compliance's base URL; the global cloud's by default. */
  complianceEndpoint?: pulumi.Input<string>;
  /** Days (1 to 3650) mailbox items are kept, deleted and purged ones too, or "unlimited". */
  retainDays: RetainDays;
}

/** What previewing and deploying the preservation needs: its retention policy's. */
export const preservationPermissions = retentionPolicyPermissions;

/** The names of Preservation's resources, from the component's name: its declaration and `adopt`'s finding both take them from here. */
export function preservationNames(name: string) {
  return { retentionPolicy: `${name}-retention-policy` };
}

/** The component's argument checks, without Pulumi: each a sentence, none when the arguments hold. */
export function checkPreservationArgs(args: PreservationArgs): string[] {
  const days = args.retainDays;
  return days === "unlimited" || (Number.isInteger(days) && days >= 1 && days <= 3650)
    ? []
    : [`retainDays must be 1 to 3650 days or "unlimited", not ${String(days)}`];
}

/**
 * Nothing lost before Retain archives it: a Microsoft Purview retention policy keeping every
 * mailbox's items for `retainDays` (Retain's "Preventing the Deletion of Unarchived Messages").
 * The policy outlives the stack (`retainOnDelete`): a destroy leaves it, since removing it would let
 * Purview discard what it kept before anyone archived it (the runbook says how to remove it by hand).
 */
export class Preservation extends pulumi.ComponentResource {
  readonly retentionPolicy: RetentionPolicy;

  constructor(name: string, args: PreservationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("retain-m365:compliance:Preservation", name, {}, opts);
    const problems = checkPreservationArgs(args);
    if (problems.length > 0) throw new Error(`Preservation ${name}: ${problems.join("; ")}`);
    this.retentionPolicy = new RetentionPolicy(
      preservationNames(name).retentionPolicy,
      {
        tenantId: args.tenantId,
        complianceEndpoint: args.complianceEndpoint,
        name: PRESERVATION_POLICY_NAME,
        retainDays: args.retainDays,
        exchangeLocation: "All",
      },
      { parent: this, retainOnDelete: true },
    );
    this.registerOutputs({ retentionPolicyName: PRESERVATION_POLICY_NAME, retainDays: args.retainDays });
  }
}
