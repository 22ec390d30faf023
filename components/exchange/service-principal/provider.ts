import type * as pulumi from "@pulumi/pulumi";
import { invokeCommand, type ExchangeTarget } from "../../../m365/exchange-admin-api";
import { adoptOrCreate, asRecorded, changedProperties, exchangeInputFailures, getOptional, gone, readingBack, removeIfPresent } from "../objects";

export interface ExchangeServicePrincipalInputs extends ExchangeTarget {
  /** The Entra application (client) id. */
  appId: string;
  /** The Entra service principal's object id. */
  objectId: string;
  displayName: string;
}
export interface ExchangeServicePrincipalOutputs extends ExchangeServicePrincipalInputs {
  adopted: boolean;
}

/** `New-ServicePrincipal`: makes an Entra app known to Exchange's RBAC for Applications. */
export const exchangeServicePrincipalProvider: pulumi.dynamic.ResourceProvider<ExchangeServicePrincipalInputs, ExchangeServicePrincipalOutputs> = {
  async check(_olds, news) {
    return { inputs: news, failures: exchangeInputFailures(news, ["appId", "objectId", "displayName"]) };
  },
  async create(inputs) {
    const { adopted } = await adoptOrCreate(inputs, {
      kind: "Exchange service principal",
      identity: inputs.appId,
      getCmdlet: "Get-ServicePrincipal",
      newCmdlet: "New-ServicePrincipal",
      newParameters: { AppId: inputs.appId, ObjectId: inputs.objectId, DisplayName: inputs.displayName },
      wanted: { AppId: inputs.appId, ObjectId: inputs.objectId, DisplayName: inputs.displayName },
    });
    return { id: inputs.appId, outs: { ...inputs, adopted } };
  },
  /** A refresh: the reference as Exchange has it (a display name changed by hand shows; removed, it is gone). */
  async read(id, props) {
    const state = props as ExchangeServicePrincipalOutputs;
    const live = await readingBack(() => getOptional(state, "Get-ServicePrincipal", state.appId));
    if (!live) return gone();
    // The Entra object id shows as ObjectId and as ServiceId (docs/exchange.md): either one matching is no change.
    const objectId = [live.ObjectId, live.ServiceId].some((shown) => asRecorded(state.objectId, shown) === state.objectId)
      ? state.objectId
      : asRecorded(state.objectId, live.ObjectId ?? live.ServiceId);
    return { id, props: { ...state, appId: asRecorded(state.appId, live.AppId), objectId, displayName: asRecorded(state.displayName, live.DisplayName) } };
  },
  async diff(_id, olds, news) {
    const replaces = changedProperties({ ...olds }, { ...news }, ["tenantId", "appId", "objectId"]);
    const changes = replaces.length > 0 || changedProperties({ ...olds }, { ...news }, ["displayName", "exchangeEndpoint"]).length > 0;
    return { changes, replaces, deleteBeforeReplace: true };
  },
  async update(_id, olds, news) {
    if (olds.displayName !== news.displayName) {
      await invokeCommand(news, "Set-ServicePrincipal", { Identity: news.appId, DisplayName: news.displayName });
    }
    return { outs: { ...news, adopted: olds.adopted } };
  },
  async delete(_id, props) {
    await removeIfPresent(props, "Remove-ServicePrincipal", props.appId);
  },
};
