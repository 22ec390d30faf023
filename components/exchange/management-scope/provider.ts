import type * as pulumi from "@pulumi/pulumi";
import { invokeCommand, type ExchangeTarget } from "../../../m365/exchange-admin-api";
import { adoptOrCreate, asRecorded, changedProperties, exchangeInputFailures, getOptional, gone, readingBack, removeIfPresent } from "../objects";

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
