import * as pulumi from "@pulumi/pulumi";
import { CLOUDS } from "../../../m365/clouds";
import type { ExchangeTargetArgs } from "../objects";
import { securityGroupProvider } from "./provider";

export { securityGroupProvider, type SecurityGroupInputs, type SecurityGroupOutputs } from "./provider";

/** The mail-enabled security group whose members a management scope reaches: looked up by name, or created. */
export class SecurityGroup extends pulumi.dynamic.Resource {
  declare readonly distinguishedName: pulumi.Output<string>;

  constructor(name: string, args: ExchangeTargetArgs & { name: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
    super(
      securityGroupProvider,
      name,
      { ...args, exchangeEndpoint: args.exchangeEndpoint ?? CLOUDS.global.exchange, distinguishedName: undefined, adopted: undefined },
      opts,
      "exchange",
      "SecurityGroup",
    );
  }
}
