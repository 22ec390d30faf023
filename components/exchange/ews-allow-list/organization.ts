import { invokeCommand, type ExchangeTarget } from "../../../m365/exchange-admin-api";
import { TEAMS_APP_ID } from "../../../m365/exchange-facts";
import { EMPTY_ALLOW_LIST_BLOCKS_SINCE } from "../../../m365/ews-retirement";

// How Exchange Online keeps the organization's EWS app-id allow list (docs/exchange.md):
// `EwsAllowedAppIDs` is ONE comma-joined string that `Set-OrganizationConfig` replaces whole,
// `Get-OrganizationConfig` returns it only with `-RetrieveEwsOperationAccessPolicy`, and
// `EwsEnabled` is tri-state: with it true ONLY listed apps reach EWS, tenant-wide.

/** The organization's EWS switch (null: never set) and its allow list, as Exchange reports them. */
export interface OrganizationEws {
  enabled: boolean | null;
  allowed: string[];
}

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
    throw new Error(
      "Exchange's Get-OrganizationConfig -RetrieveEwsOperationAccessPolicy returned no EwsEnabled/EwsAllowedAppIDs; the EWS allow list was not changed",
    );
  }
  return { enabled: typeof config.EwsEnabled === "boolean" ? config.EwsEnabled : null, allowed: parseAppIdList(config.EwsAllowedAppIDs) };
}

export const sameState = (a: OrganizationEws, b: OrganizationEws) =>
  a.enabled === b.enabled && a.allowed.join(",").toLowerCase() === b.allowed.join(",").toLowerCase();

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
