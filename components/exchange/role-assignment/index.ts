import * as pulumi from "@pulumi/pulumi";
import { CLOUDS } from "../../../m365/clouds";
import type { ExchangeTargetArgs } from "../objects";
import { roleAssignmentProvider } from "./provider";

export { roleAssignmentProvider, type RoleAssignmentInputs } from "./provider";

export interface RoleAssignmentArgs extends ExchangeTargetArgs {
  name: pulumi.Input<string>;
  role: pulumi.Input<string>;
  app?: pulumi.Input<string>;
  user?: pulumi.Input<string>;
  customResourceScope?: pulumi.Input<string>;
  /** The decision that an app's unscoped assignment reaches every mailbox (the policy pack refuses one without it). */
  allMailboxes?: boolean;
}

/** A management role assignment: a role to Retain's app (scoped, or to every mailbox), or, legacy, to the worker. */
export class RoleAssignment extends pulumi.dynamic.Resource {
  constructor(name: string, args: RoleAssignmentArgs, opts?: pulumi.CustomResourceOptions) {
    super(roleAssignmentProvider, name, { ...args, exchangeEndpoint: args.exchangeEndpoint ?? CLOUDS.global.exchange }, opts, "exchange", "RoleAssignment");
  }
}
