import type * as pulumi from "@pulumi/pulumi";
import { invokeCommand, type ExchangeTarget } from "../../../m365/exchange-admin-api";
import { asRecorded, changedProperties, exchangeInputFailures, getOptional, gone, readingBack, removeIfPresent } from "../objects";

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
      throw new Error(
        `group "${inputs.name}" exists in Exchange but is not security-enabled (GroupType ${String(existing.GroupType)}); a management scope needs a mail-enabled security group`,
      );
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
