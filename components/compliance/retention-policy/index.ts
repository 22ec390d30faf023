import * as pulumi from "@pulumi/pulumi";
import { CLOUDS } from "../../../m365/clouds";
import { retentionPolicyProvider, type RetainDays } from "./provider";

export {
  retentionPolicyInputFailures,
  retentionPolicyProvider,
  retentionRuleName,
  type RetainDays,
  type RetentionPolicyInputs,
  type RetentionPolicyOutputs,
} from "./provider";

/** The name of the stack's retention policy in Purview (one per tenant: adopt compares an existing policy of this name). */
export const PRESERVATION_POLICY_NAME = "Retain - keep mailbox items until archived";

export interface RetentionPolicyArgs {
  tenantId: pulumi.Input<string>;
  /** Security & Compliance's base URL; the global cloud's by default. */
  complianceEndpoint?: pulumi.Input<string>;
  /** The policy's unique name in Purview (at most 64 characters). */
  name: pulumi.Input<string>;
  /** Days (1 to 3650) mailbox items are kept, deleted and purged ones too, or "unlimited". */
  retainDays: pulumi.Input<RetainDays>;
  /** "All": every mailbox, those created later too (the only value that follows the organization: docs/compliance.md). */
  exchangeLocation: pulumi.Input<"All" | string[]>;
}

/**
 * A Microsoft Purview retention policy for Exchange mailboxes with one rule that keeps items
 * (-RetentionComplianceAction Keep) for `retainDays`: what a user deletes and purges stays until
 * Retain can archive it. An existing policy of the name with these settings is adopted on create.
 */
export class RetentionPolicy extends pulumi.dynamic.Resource {
  declare readonly policyGuid: pulumi.Output<string>;
  declare readonly retainDays: pulumi.Output<RetainDays>;

  constructor(name: string, args: RetentionPolicyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      retentionPolicyProvider,
      name,
      {
        ...args,
        complianceEndpoint: args.complianceEndpoint ?? CLOUDS.global.compliance,
        policyGuid: undefined,
        enabled: undefined,
        retentionAction: undefined,
      },
      opts,
      "compliance",
      "RetentionPolicy",
    );
  }
}
