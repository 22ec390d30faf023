import * as pulumi from "@pulumi/pulumi";
import { CLOUDS } from "../../../m365/clouds";
import type { ExchangeTargetArgs } from "../objects";
import { ewsAllowListProvider } from "./provider";

export { ewsAllowListProvider, type EwsAllowListInputs } from "./provider";
export { ALLOW_LIST_DELAY, emptyListRefusal, listed, notEnforcedRefusal, parseAppIdList, readOrganizationEws, type OrganizationEws } from "./organization";

export interface EwsAllowListEntryArgs extends ExchangeTargetArgs {
  appId: pulumi.Input<string>;
  alsoAllow?: pulumi.Input<pulumi.Input<string>[]>;
  enforce?: pulumi.Input<boolean>;
  enforceSetting: pulumi.Input<string>;
}

/** Retain's app in the organization's EWS app-id allow list, merged into what is there (provider.ts). */
export class EwsAllowListEntry extends pulumi.dynamic.Resource {
  constructor(name: string, args: EwsAllowListEntryArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      ewsAllowListProvider,
      name,
      { ...args, alsoAllow: args.alsoAllow ?? [], enforce: args.enforce ?? false, exchangeEndpoint: args.exchangeEndpoint ?? CLOUDS.global.exchange },
      opts,
      "exchange",
      "EwsAllowListEntry",
    );
  }
}
