import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

export const GRAPH_SP_OBJECT_ID = "graph-service-principal-object-id";

/**
 * What the providers would compute on create, deterministically: a random password depends on
 * its inputs (keepers included) as the random provider's replacement on a keeper change does.
 */
export function fakeOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  switch (args.type) {
    case "azuread:index/user:User":
    case "azuread:index/servicePrincipal:ServicePrincipal":
      return { objectId: `${args.name}-object-id` };
    case "random:index/randomPassword:RandomPassword":
      return {
        result: createHash("sha256")
          .update(args.name + JSON.stringify(args.inputs))
          .digest("base64url"),
      };
    case "azuread:index/application:Application":
      return { clientId: `${args.name}-client-id` };
    case "azuread:index/applicationPassword:ApplicationPassword":
      return { value: `fake-secret-of-${args.name}` };
    case "pulumi-nodejs:dynamic/exchange:SecurityGroup":
      return { distinguishedName: `CN=${String(args.inputs.name)},DC=test` };
    default:
      return {};
  }
}

export function fakeCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  if (args.token === "azuread:index/getServicePrincipal:getServicePrincipal") return { ...args.inputs, objectId: GRAPH_SP_OBJECT_ID };
  return args.inputs;
}
