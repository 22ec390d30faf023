import { PolicyPack, type PolicyPackArgs } from "@pulumi/policy";
import { policies } from "./policies";

/**
 * Serves the `retain-m365` policy pack. `pulumi preview --policy-pack policy` starts
 * `@pulumi/pulumi/cmd/run-policy-pack` in this folder, which requires this module and, because
 * the module is a function, calls it. Constructing a `PolicyPack` at once starts the analyzer's
 * gRPC server (and reads the version from ./package.json in the working directory), so it happens
 * only in that call: importing this module — as the tests do — starts nothing.
 */
function servePolicyPack(): PolicyPack {
  return new PolicyPack(servePolicyPack.packName, servePolicyPack.args);
}
servePolicyPack.packName = "retain-m365";
servePolicyPack.args = {
  description: "What a retain-m365 tenant stack must never deploy.",
  enforcementLevel: "mandatory",
  policies,
} satisfies PolicyPackArgs;

export = servePolicyPack;
