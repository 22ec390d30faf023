import * as pulumi from "@pulumi/pulumi";
import { invokeCommand, type ExchangeTarget } from "../../m365/exchange-admin-api";
import { CLOUDS } from "../../m365/clouds";
import { TEAMS_APP_ID } from "../../m365/exchange-facts";
import { EMPTY_ALLOW_LIST_BLOCKS_SINCE } from "../../m365/ews-retirement";
import { GUID } from "../../m365/ids";
import { changedProperties, exchangeInputFailures, gone, readingBack, type ExchangeTargetArgs } from "./objects";

// How Exchange Online keeps the organization's EWS app-id allow list (docs/exchange.md):
// `EwsAllowedAppIDs` is ONE comma-joined string that `Set-OrganizationConfig` replaces whole,
// `Get-OrganizationConfig` returns it only with `-RetrieveEwsOperationAccessPolicy`, and
// `EwsEnabled` is tri-state: with it true ONLY listed apps reach EWS, tenant-wide.

export interface EwsAllowListInputs extends ExchangeTarget {
  /** Retain's application (client) id: added, and removed again on delete. */
  appId: string;
  /** Other applications that must keep EWS once the list is enforced (e.g. Teams' calendar): added, never removed. */
  alsoAllow: string[];
  /** The admin's decision to turn the list on (`EwsEnabled` true) where it is unset or false. */
  enforce: boolean;
  /** The setting that records that decision, named when the deployment refuses to make it. */
  enforceSetting: string;
}

/** The organization's EWS switch (null: never set) and its allow list, as Exchange reports them. */
export interface OrganizationEws {
  enabled: boolean | null;
  allowed: string[];
}

/** Attempts at a read-merge-write before giving up on a list that keeps changing under us. */
const WRITE_ATTEMPTS = 5;

/** The app ids of `EwsAllowedAppIDs`: one comma-joined string (PowerShell may show it as a one-element list). */
export function parseAppIdList(value: unknown): string[] {
  const pieces = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string").flatMap((v) => v.split(","));
  const ids: string[] = [];
  for (const piece of pieces.map((p) => p.trim())) if (piece && !listed(ids, piece)) ids.push(piece);
  return ids;
}

/** App ids are GUIDs: the same in any letter case. */
export function listed(ids: readonly string[], id: string): boolean {
  return ids.some((candidate) => candidate.toLowerCase() === id.toLowerCase());
}

export async function readOrganizationEws(target: ExchangeTarget): Promise<OrganizationEws> {
  const [config] = await invokeCommand(target, "Get-OrganizationConfig", { RetrieveEwsOperationAccessPolicy: true });
  if (!config || !("EwsAllowedAppIDs" in config) || !("EwsEnabled" in config)) {
    throw new Error("Exchange's Get-OrganizationConfig -RetrieveEwsOperationAccessPolicy returned no EwsEnabled/EwsAllowedAppIDs; the EWS allow list was not changed");
  }
  return { enabled: typeof config.EwsEnabled === "boolean" ? config.EwsEnabled : null, allowed: parseAppIdList(config.EwsAllowedAppIDs) };
}

const sameState = (a: OrganizationEws, b: OrganizationEws) => a.enabled === b.enabled && a.allowed.join(",").toLowerCase() === b.allowed.join(",").toLowerCase();

/** Why a deployment without the admin's decision leaves an unenforced list alone. */
export function notEnforcedRefusal(enabled: false | null, enforceSetting: string): string {
  const now =
    enabled === null
      ? "The organization's EWS app-id allow list is not in force (EwsEnabled is unset)"
      : "EWS is turned off for the whole organization (EwsEnabled is false)";
  return (
    `${now}, and turning it on would let ONLY the listed applications reach EWS, tenant-wide — every other EWS client, ` +
    `Microsoft Teams' calendar integration (app id ${TEAMS_APP_ID}) among them, is blocked, and it can take ` +
    `24 hours to show. Nothing was changed. If the organization wants that, set ${enforceSetting} to true, listing every other ` +
    `application that must keep EWS beside Retain's; otherwise leave the allow list out of the configuration.`
  );
}

/**
 * Why a deployment without the admin's decision leaves an EMPTY list in force alone: Microsoft's
 * cmdlet reference and the worldwide cloud give it opposite meanings (docs/exchange.md).
 */
export function emptyListRefusal(enforceSetting: string): string {
  return (
    "The organization's EWS app-id allow list is in force (EwsEnabled true) but empty, which Microsoft's Set-OrganizationConfig reference " +
    `reads as "no application restricted" while the worldwide cloud has blocked ALL EWS that way since ${EMPTY_ALLOW_LIST_BLOCKS_SINCE}, so which one this ` +
    "tenant lives with is the organization's call, not the deployment's. Nothing was changed. If only the listed applications should " +
    `reach EWS, set ${enforceSetting} to true, listing every other application that must keep EWS beside Retain's; otherwise fill the list by hand first.`
  );
}

/** Said wherever the deployment will write the list: Exchange takes its time to apply it. */
export const ALLOW_LIST_DELAY =
  "Exchange applies a change of the EWS allow list within up to 24 hours (of EwsEnabled within about an hour): where the deploy changes it, EWS may refuse Retain's app until then.";

/**
 * The whole list, written as one string. Never an empty one: "EwsEnabled true with no list"
 * means opposite things in Microsoft's reference and in the worldwide cloud.
 */
async function writeAllowList(target: ExchangeTarget, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) throw new Error("internal: the EWS allow list is never written empty");
  await invokeCommand(target, "Set-OrganizationConfig", { EwsAllowedAppIDs: ids.join(",") });
}

/**
 * Reads the list, merges `wanted` into it (every other id kept, in order), writes the whole string
 * and reads it back; only then, where the admin decided so, turns `EwsEnabled` on: the list must
 * be in place before it takes effect (Microsoft: set the list before turning EWS on). Exchange has
 * no conditional write, so the list is read again just before the write: a change made since the
 * first read starts the merge over instead of being overwritten.
 */
async function ensureListed(inputs: EwsAllowListInputs): Promise<void> {
  const wanted = [inputs.appId, ...inputs.alsoAllow];
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    const before = await readOrganizationEws(inputs);
    if (before.enabled !== true && !inputs.enforce) throw new Error(notEnforcedRefusal(before.enabled, inputs.enforceSetting));
    if (before.enabled === true && before.allowed.length === 0 && !inputs.enforce) throw new Error(emptyListRefusal(inputs.enforceSetting));
    const missing = wanted.filter((id) => !listed(before.allowed, id));
    if (before.enabled === true && missing.length === 0) return;
    if (!sameState(before, await readOrganizationEws(inputs))) continue;
    let now = before;
    if (missing.length > 0) {
      await writeAllowList(inputs, [...before.allowed, ...missing]);
      now = await readOrganizationEws(inputs);
      throwIfOthersLost(before.allowed.filter((id) => !listed(wanted, id)), now, "added");
      if (!wanted.every((id) => listed(now.allowed, id))) continue;
    }
    if (now.enabled !== true) {
      await invokeCommand(inputs, "Set-OrganizationConfig", { EwsEnabled: true });
      now = await readOrganizationEws(inputs);
    }
    if (now.enabled === true && wanted.every((id) => listed(now.allowed, id))) return;
  }
  throw new Error(`the EWS allow list changed on every one of ${WRITE_ATTEMPTS} attempts to add ${wanted.join(", ")}; someone else is editing it — try again later`);
}

/**
 * Removes Retain's id only; `EwsEnabled` and every other id stay as they are. Where Retain's is
 * the only id, the list stays as it is: it is never written empty, and the id of an app that is
 * gone lets nothing through.
 */
async function removeOurs(inputs: EwsAllowListInputs): Promise<void> {
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    const before = await readOrganizationEws(inputs);
    const remaining = before.allowed.filter((id) => id.toLowerCase() !== inputs.appId.toLowerCase());
    if (remaining.length === before.allowed.length || remaining.length === 0) return;
    if (!sameState(before, await readOrganizationEws(inputs))) continue;
    await writeAllowList(inputs, remaining);
    const after = await readOrganizationEws(inputs);
    throwIfOthersLost(remaining, after, "removed");
    if (!listed(after.allowed, inputs.appId)) return;
  }
  throw new Error(`the EWS allow list changed on every one of ${WRITE_ATTEMPTS} attempts to remove ${inputs.appId}; someone else is editing it — try again later`);
}

/** Other applications' ids missing after our write: someone wrote the list at the same time. */
function throwIfOthersLost(others: string[], after: OrganizationEws, done: "added" | "removed"): void {
  const lost = others.filter((id) => !listed(after.allowed, id));
  if (lost.length > 0) {
    throw new Error(
      `the EWS allow list lost other applications' ids (${lost.join(", ")}) while Retain's was ${done}: someone else wrote the list at the same time. ` +
        `Check it with Get-OrganizationConfig -RetrieveEwsOperationAccessPolicy and restore them unless they were removed on purpose`,
    );
  }
}

/**
 * Retain's app in the organization's EWS app-id allow list (`EwsAllowedAppIDs`), merged into what
 * is there. Never turns the list on by itself: that blocks every unlisted EWS application.
 */
export const ewsAllowListProvider: pulumi.dynamic.ResourceProvider<EwsAllowListInputs, EwsAllowListInputs> = {
  async check(_olds, news) {
    const failures = exchangeInputFailures(news, ["appId", "enforceSetting"]);
    if (typeof news.appId === "string" && news.appId && !GUID.test(news.appId)) failures.push({ property: "appId", reason: "must be an application (client) id, a GUID" });
    if (!Array.isArray(news.alsoAllow) || news.alsoAllow.some((id) => typeof id !== "string" || !GUID.test(id))) {
      failures.push({ property: "alsoAllow", reason: "must be a list of application (client) ids, GUIDs" });
    }
    if (typeof news.enforce !== "boolean") failures.push({ property: "enforce", reason: "must be true or false" });
    return { inputs: news, failures };
  },
  async create(inputs) {
    await ensureListed(inputs);
    return { id: inputs.appId, outs: inputs };
  },
  /**
   * A refresh. The entry is what create makes sure of: Retain's id listed in a list in force
   * (`EwsEnabled` true); with its id taken out, or the list put out of force by hand, it is gone,
   * and the next deployment makes sure of it again (or refuses, as create does). `alsoAllow` ids
   * taken out by hand are left out of it, so the next deployment adds them back.
   */
  async read(id, props) {
    const state = props as EwsAllowListInputs;
    const now = await readingBack(() => readOrganizationEws(state));
    if (now.enabled !== true || !listed(now.allowed, state.appId)) return gone();
    return { id, props: { ...state, ...(state.alsoAllow ? { alsoAllow: state.alsoAllow.filter((other) => listed(now.allowed, other)) } : {}) } };
  },
  async diff(_id, olds, news) {
    const replaces = changedProperties({ ...olds }, { ...news }, ["tenantId", "appId"]);
    const changed =
      changedProperties({ ...olds }, { ...news }, ["exchangeEndpoint", "enforce", "enforceSetting"]).length > 0 ||
      (olds.alsoAllow ?? []).join(",").toLowerCase() !== (news.alsoAllow ?? []).join(",").toLowerCase();
    return { changes: replaces.length > 0 || changed, replaces, deleteBeforeReplace: false };
  },
  async update(_id, _olds, news) {
    // Ids dropped from alsoAllow stay listed: others may rely on them (docs/exchange.md).
    await ensureListed(news);
    return { outs: news };
  },
  async delete(_id, props) {
    await removeOurs(props);
  },
};

export interface EwsAllowListEntryArgs extends ExchangeTargetArgs {
  appId: pulumi.Input<string>;
  alsoAllow?: pulumi.Input<pulumi.Input<string>[]>;
  enforce?: pulumi.Input<boolean>;
  enforceSetting: pulumi.Input<string>;
}

export class EwsAllowListEntry extends pulumi.dynamic.Resource {
  constructor(name: string, args: EwsAllowListEntryArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      ewsAllowListProvider,
      name,
      { ...args, alsoAllow: args.alsoAllow ?? [], enforce: args.enforce ?? false, exchangeEndpoint: args.exchangeEndpoint ?? CLOUDS.global.exchange },
      opts,
      "exchange",
      "EwsAllowListEntry",
    );
  }
}
