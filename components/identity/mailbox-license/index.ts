import * as pulumi from "@pulumi/pulumi";
import { CLOUDS } from "../../../m365/clouds";
import { mailboxLicenseProvider } from "./provider";

export { mailboxLicenseProvider, type MailboxLicenseInputs, type MailboxLicenseOutputs } from "./provider";

export interface MailboxLicenseArgs {
  tenantId: pulumi.Input<string>;
  userId: pulumi.Input<string>;
  skuPartNumber: pulumi.Input<string>;
  graphEndpoint?: pulumi.Input<string>;
}

/** The worker's mailbox licence; azuread has no licence resource. */
export class MailboxLicense extends pulumi.dynamic.Resource {
  declare readonly skuId: pulumi.Output<string>;

  constructor(name: string, args: MailboxLicenseArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      mailboxLicenseProvider,
      name,
      { ...args, graphEndpoint: args.graphEndpoint ?? CLOUDS.global.graph, skuId: undefined },
      opts,
      "identity",
      "MailboxLicense",
    );
  }
}
