import * as pulumi from "@pulumi/pulumi";
import { invokeCommand, multiValuedEdit, type ExchangeTarget } from "../../lib/exchange/admin-api";
import { changedProperties, DEFAULT_EXCHANGE_ENDPOINT, requiredInputFailures, type ExchangeTargetArgs } from "./objects";

export interface EwsAllowListInputs extends ExchangeTarget {
  /** The application (client) id to allow. */
  appId: string;
}

async function organizationEws(target: ExchangeTarget): Promise<{ enabled: boolean; allowed: string[] }> {
  const [config] = await invokeCommand(target, "Get-OrganizationConfig");
  const allowed = config?.EWSAllowedAppIDs;
  return { enabled: config?.EWSEnabled === true, allowed: Array.isArray(allowed) ? allowed.map(String) : [] };
}

/**
 * Changes the tenant-wide list with Exchange's server-side add/remove (never by writing back a
 * list read earlier), then re-reads it to prove no other application's id was lost.
 */
async function editAllowList(target: EwsAllowListInputs, edit: "Add" | "Remove"): Promise<void> {
  const before = await organizationEws(target);
  const present = before.allowed.some((id) => id.toLowerCase() === target.appId.toLowerCase());
  if (edit === "Add" && present && before.enabled) return;
  if (edit === "Remove" && !present) return;
  await invokeCommand(target, "Set-OrganizationConfig", {
    ...(edit === "Add" ? { EWSEnabled: true } : {}),
    EWSAllowedAppIDs: multiValuedEdit({ [edit]: [target.appId] }),
  });
  const after = await organizationEws(target);
  const others = before.allowed.filter((id) => id.toLowerCase() !== target.appId.toLowerCase());
  const lost = others.filter((id) => !after.allowed.some((now) => now.toLowerCase() === id.toLowerCase()));
  if (lost.length > 0) throw new Error(`the EWS allow list lost other applications' ids (${lost.join(", ")}) while Retain's was ${edit === "Add" ? "added" : "removed"}; restore them with Set-OrganizationConfig`);
  const ours = after.allowed.some((id) => id.toLowerCase() === target.appId.toLowerCase());
  if (ours !== (edit === "Add")) throw new Error(`Exchange did not ${edit === "Add" ? "add" : "remove"} ${target.appId} ${edit === "Add" ? "to" : "from"} the EWS allow list`);
}

/** Retain's app in the organization's EWS allow list (`EWSAllowedAppIDs`), with EWS enabled. */
export const ewsAllowListProvider: pulumi.dynamic.ResourceProvider<EwsAllowListInputs, EwsAllowListInputs> = {
  async check(_olds, news) {
    return { inputs: news, failures: requiredInputFailures({ ...news }, ["tenantId", "exchangeEndpoint", "appId"]) };
  },
  async create(inputs) {
    await editAllowList(inputs, "Add");
    return { id: inputs.appId, outs: inputs };
  },
  async diff(_id, olds, news) {
    const replaces = changedProperties({ ...olds }, { ...news }, ["tenantId", "appId"]);
    return { changes: replaces.length > 0 || olds.exchangeEndpoint !== news.exchangeEndpoint, replaces, deleteBeforeReplace: false };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
  async delete(_id, props) {
    // EWSEnabled stays as it is: other applications may rely on it.
    await editAllowList(props, "Remove");
  },
};

export class EwsAllowListEntry extends pulumi.dynamic.Resource {
  constructor(name: string, args: ExchangeTargetArgs & { appId: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
    super(ewsAllowListProvider, name, { ...args, exchangeEndpoint: args.exchangeEndpoint ?? DEFAULT_EXCHANGE_ENDPOINT }, opts, "exchange", "EwsAllowListEntry");
  }
}
