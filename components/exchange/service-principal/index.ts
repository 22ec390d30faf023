import * as pulumi from "@pulumi/pulumi";
import { CLOUDS } from "../../../m365/clouds";
import type { ExchangeTargetArgs } from "../objects";
import { exchangeServicePrincipalProvider } from "./provider";

export { exchangeServicePrincipalProvider, type ExchangeServicePrincipalInputs, type ExchangeServicePrincipalOutputs } from "./provider";

export interface ExchangeServicePrincipalArgs extends ExchangeTargetArgs {
  appId: pulumi.Input<string>;
  objectId: pulumi.Input<string>;
  displayName: pulumi.Input<string>;
}

export class ExchangeServicePrincipal extends pulumi.dynamic.Resource {
  declare readonly appId: pulumi.Output<string>;
  /** The Entra service principal's object id: what `New-ManagementRoleAssignment -App` takes. */
  declare readonly objectId: pulumi.Output<string>;

  constructor(name: string, args: ExchangeServicePrincipalArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      exchangeServicePrincipalProvider,
      name,
      { ...args, exchangeEndpoint: args.exchangeEndpoint ?? CLOUDS.global.exchange, adopted: undefined },
      opts,
      "exchange",
      "ServicePrincipal",
    );
  }
}
