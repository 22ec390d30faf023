import * as pulumi from "@pulumi/pulumi";
import { invokeCommand, type ExchangeTarget } from "../../m365/exchange-admin-api";
import { CLOUDS } from "../../m365/clouds";
import {
  adoptOrCreate,
  asRecorded,
  changedProperties,
  exchangeInputFailures,
  getOptional,
  gone,
  readingBack,
  removeIfPresent,
  type ExchangeTargetArgs,
} from "./objects";

export interface SecurityGroupInputs extends ExchangeTarget {
  name: string;
}
export interface SecurityGroupOutputs extends SecurityGroupInputs {
  distinguishedName: string;
  /** True when the group existed before: it is then left in place on delete. */
  adopted: boolean;
}

/** A mail-enabled security group: looked up by name, or created with `New-DistributionGroup -Type Security`. */
export const securityGroupProvider: pulumi.dynamic.ResourceProvider<SecurityGroupInputs, SecurityGroupOutputs> = {
  async check(_olds, news) {
    return { inputs: news, failures: exchangeInputFailures(news, ["name"]) };
  },
  async create(inputs) {
    const existing = await getOptional(inputs, "Get-DistributionGroup", inputs.name);
    if (existing && !/SecurityEnabled/i.test(String(existing.GroupType ?? ""))) {
      throw new Error(`group "${inputs.name}" exists in Exchange but is not security-enabled (GroupType ${String(existing.GroupType)}); a management scope needs a mail-enabled security group`);
    }
    const group = existing ?? (await invokeCommand(inputs, "New-DistributionGroup", { Name: inputs.name, Type: "Security" }))[0] ?? {};
    const distinguishedName = String(group.DistinguishedName ?? "");
    if (!distinguishedName) throw new Error(`Exchange returned no DistinguishedName for group "${inputs.name}"`);
    return { id: String(group.ExternalDirectoryObjectId ?? inputs.name), outs: { ...inputs, distinguishedName, adopted: existing !== undefined } };
  },
  /** A refresh: the group's distinguished name as Exchange has it now; a removed group is gone. */
  async read(id, props) {
    const state = props as SecurityGroupOutputs;
    const live = await readingBack(() => getOptional(state, "Get-DistributionGroup", state.name));
    if (!live) return gone();
    return { id, props: { ...state, distinguishedName: asRecorded(state.distinguishedName, live.DistinguishedName) } };
  },
  async diff(_id, olds, news) {
    const replaces = changedProperties({ ...olds }, { ...news }, ["tenantId", "name"]);
    return { changes: replaces.length > 0 || olds.exchangeEndpoint !== news.exchangeEndpoint, replaces };
  },
  async update(_id, olds, news) {
    return { outs: { ...news, distinguishedName: olds.distinguishedName, adopted: olds.adopted } };
  },
  async delete(_id, props) {
    if (!props.adopted) await removeIfPresent(props, "Remove-DistributionGroup", props.name, { BypassSecurityGroupManagerCheck: true });
  },
};

export interface ManagementScopeInputs extends ExchangeTarget {
  name: string;
  recipientRestrictionFilter: string;
}

/** `New-ManagementScope`: limits an application role assignment to some recipients. */
export const managementScopeProvider: pulumi.dynamic.ResourceProvider<ManagementScopeInputs, ManagementScopeInputs> = {
  async check(_olds, news) {
    return { inputs: news, failures: exchangeInputFailures(news, ["name", "recipientRestrictionFilter"]) };
  },
  async create(inputs) {
    await adoptOrCreate(inputs, {
      kind: "management scope",
      identity: inputs.name,
      getCmdlet: "Get-ManagementScope",
      newCmdlet: "New-ManagementScope",
      newParameters: { Name: inputs.name, RecipientRestrictionFilter: inputs.recipientRestrictionFilter },
      wanted: { RecipientFilter: inputs.recipientRestrictionFilter },
    });
    return { id: inputs.name, outs: inputs };
  },
  /** A refresh: the filter as Exchange has it (one changed by hand shows, and the next deployment sets it back); a removed scope is gone. */
  async read(id, props) {
    const state = props as ManagementScopeInputs;
    const live = await readingBack(() => getOptional(state, "Get-ManagementScope", state.name));
    if (!live) return gone();
    return { id, props: { ...state, recipientRestrictionFilter: asRecorded(state.recipientRestrictionFilter, live.RecipientFilter) } };
  },
  async diff(_id, olds, news) {
    const replaces = changedProperties({ ...olds }, { ...news }, ["tenantId", "name"]);
    const changes = replaces.length > 0 || changedProperties({ ...olds }, { ...news }, ["recipientRestrictionFilter", "exchangeEndpoint"]).length > 0;
    return { changes, replaces, deleteBeforeReplace: true };
  },
  async update(_id, olds, news) {
    if (olds.recipientRestrictionFilter !== news.recipientRestrictionFilter) {
      await invokeCommand(news, "Set-ManagementScope", { Identity: news.name, RecipientRestrictionFilter: news.recipientRestrictionFilter });
    }
    return { outs: news };
  },
  async delete(_id, props) {
    await removeIfPresent(props, "Remove-ManagementScope", props.name);
  },
};

/** The OPATH filter for "members of this group"; single quotes are doubled inside the value. */
export function memberOfGroupFilter(distinguishedName: string): string {
  return `MemberOfGroup -eq '${distinguishedName.replace(/'/g, "''")}'`;
}

export class SecurityGroup extends pulumi.dynamic.Resource {
  declare readonly distinguishedName: pulumi.Output<string>;

  constructor(name: string, args: ExchangeTargetArgs & { name: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
    super(securityGroupProvider, name, { ...args, exchangeEndpoint: args.exchangeEndpoint ?? CLOUDS.global.exchange, distinguishedName: undefined, adopted: undefined }, opts, "exchange", "SecurityGroup");
  }
}

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
