import * as pulumi from "@pulumi/pulumi";
import { CLOUDS } from "../../../m365/clouds";
import type { ExchangeTargetArgs } from "../objects";
import { managementScopeProvider } from "./provider";

export { managementScopeProvider, type ManagementScopeInputs } from "./provider";

/** The OPATH filter for "members of this group"; single quotes are doubled inside the value. */
export function memberOfGroupFilter(distinguishedName: string): string {
  return `MemberOfGroup -eq '${distinguishedName.replace(/'/g, "''")}'`;
}

/** A management scope limiting application role assignments to the recipients its filter names. */
export class ManagementScope extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;

  constructor(
    name: string,
    args: ExchangeTargetArgs & { name: pulumi.Input<string>; recipientRestrictionFilter: pulumi.Input<string> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(managementScopeProvider, name, { ...args, exchangeEndpoint: args.exchangeEndpoint ?? CLOUDS.global.exchange }, opts, "exchange", "ManagementScope");
  }
}
