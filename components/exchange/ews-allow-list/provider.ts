import type * as pulumi from "@pulumi/pulumi";
import { invokeCommand, type ExchangeTarget } from "../../../m365/exchange-admin-api";
import { GUID } from "../../../m365/ids";
import { changedProperties, exchangeInputFailures, gone, readingBack } from "../objects";
import { emptyListRefusal, listed, notEnforcedRefusal, readOrganizationEws, sameState, type OrganizationEws } from "./organization";

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

/** Attempts at a read-merge-write before giving up on a list that keeps changing under us. */
const WRITE_ATTEMPTS = 5;

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
      throwIfOthersLost(
        before.allowed.filter((id) => !listed(wanted, id)),
        now,
        "added",
      );
      if (!wanted.every((id) => listed(now.allowed, id))) continue;
    }
    if (now.enabled !== true) {
      await invokeCommand(inputs, "Set-OrganizationConfig", { EwsEnabled: true });
      now = await readOrganizationEws(inputs);
    }
    if (now.enabled === true && wanted.every((id) => listed(now.allowed, id))) return;
  }
  throw new Error(
    `the EWS allow list changed on every one of ${WRITE_ATTEMPTS} attempts to add ${wanted.join(", ")}; someone else is editing it — try again later`,
  );
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
  throw new Error(
    `the EWS allow list changed on every one of ${WRITE_ATTEMPTS} attempts to remove ${inputs.appId}; someone else is editing it — try again later`,
  );
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
    if (typeof news.appId === "string" && news.appId && !GUID.test(news.appId))
      failures.push({ property: "appId", reason: "must be an application (client) id, a GUID" });
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
