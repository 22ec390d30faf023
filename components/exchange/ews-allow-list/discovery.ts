import { TEAMS_APP_ID } from "../../../m365/exchange-facts";
import { EMPTY_ALLOW_LIST_BLOCKS_SINCE } from "../../../m365/ews-retirement";
import type { Discovery, UrnOf } from "../../discovery";
import { ALLOW_LIST_DELAY, emptyListRefusal, listed, notEnforcedRefusal, type OrganizationEws } from "./organization";

/** The EWS allow list entry as ExchangeAccess declares it (absent: the configuration leaves the list alone). */
export interface PlannedEwsAllowList {
  resourceName: string;
  enforce: boolean;
  alsoAllow: string[];
  enforceSetting: string;
}

/** The configuration keys the allow list's findings and notices name. */
export interface EwsAllowListSettings {
  /** Whether and how the deploy touches the list. */
  ewsAllowList: string;
  /** The other applications kept on an enforced list. */
  alsoAllow: string;
}

/**
 * The organization's EWS allow list: with the entry declared, what the deploy does to the list (a
 * merge, or a conflict the admin's enforce decision settles); without it, what the list as it is
 * means for Retain's app, as notices.
 */
export function discoverEwsAllowList(ews: OrganizationEws, planned: PlannedEwsAllowList | undefined, settings: EwsAllowListSettings, urnOf: UrnOf): Discovery {
  if (planned) return ewsAllowListFinding(ews, planned, settings, urnOf);
  if (ews.enabled === true && ews.allowed.length === 0) {
    return {
      findings: [],
      notices: [
        `The organization's EWS allow list is in force (EwsEnabled true) but empty, and the configuration leaves it alone: Microsoft's reference reads that as "no application restricted", ` +
          `the worldwide cloud since ${EMPTY_ALLOW_LIST_BLOCKS_SINCE} as "all EWS blocked", Retain's app included. Set ${settings.ewsAllowList} to {enforce: true, alsoAllow: [...]} to have the deploy put a list with Retain's app in force.`,
      ],
    };
  }
  if (ews.enabled === null) return { findings: [], notices: [] };
  return {
    findings: [],
    notices: [
      ews.enabled
        ? `The organization's EWS allow list is in force (EwsEnabled true) and the configuration leaves it alone, so EWS will refuse Retain's app: set ${settings.ewsAllowList} to true to have the deploy add it.`
        : `EWS is turned off for the whole organization (EwsEnabled false), so Retain cannot reach mailboxes: set ${settings.ewsAllowList} to {enforce: true, alsoAllow: [...]} to put an allow list with Retain's app in force.`,
    ],
  };
}

/** A declared entry: merged into the list as it is, or a conflict where putting a list in force is the admin's decision. */
function ewsAllowListFinding(ews: OrganizationEws, planned: PlannedEwsAllowList, settings: EwsAllowListSettings, urnOf: UrnOf): Discovery {
  const urn = urnOf(planned.resourceName);
  const missing = planned.alsoAllow.filter((id) => !listed(ews.allowed, id));
  const others = `${ews.allowed.length} application id${ews.allowed.length === 1 ? "" : "s"} listed now`;
  const added = `Retain's app id${missing.length > 0 ? ` and ${missing.join(", ")}` : ""}`;
  const { enabled } = ews;
  const delay = [ALLOW_LIST_DELAY];
  if (enabled === true && ews.allowed.length === 0 && !planned.enforce) {
    return { findings: [{ urn, action: "conflict", decide: planned.enforceSetting, detail: emptyListRefusal(planned.enforceSetting) }], notices: [] };
  }
  if (enabled === true && ews.allowed.length > 0) {
    const already = planned.alsoAllow.length - missing.length;
    return {
      findings: [
        {
          urn,
          action: "merge",
          detail: `The organization's EWS allow list is in force (EwsEnabled true): the deploy adds ${added} and keeps the ${others}${already > 0 ? ` (${already} of alsoAllow among them)` : ""}.`,
        },
      ],
      notices: delay,
    };
  }
  if (enabled !== true && !planned.enforce)
    return {
      findings: [{ urn, action: "conflict", decide: planned.enforceSetting, detail: notEnforcedRefusal(enabled, planned.enforceSetting) }],
      notices: [],
    };
  const teamsKept = listed([...ews.allowed, ...planned.alsoAllow], TEAMS_APP_ID);
  const state = enabled === true ? "in force (EwsEnabled true) but empty" : `not in force (EwsEnabled ${enabled === null ? "unset" : "false"})`;
  return {
    findings: [
      {
        urn,
        action: "merge",
        detail:
          `The organization's EWS allow list is ${state}; as ${planned.enforceSetting} decides, the deploy puts it in force ` +
          `with ${added}${ews.allowed.length > 0 ? ` besides the ${others}` : ""}, the list first and EwsEnabled second: from then on only these applications reach EWS, tenant-wide.`,
      },
    ],
    notices: [
      ...delay,
      ...(teamsKept
        ? []
        : [
            `Microsoft Teams' calendar integration (app id ${TEAMS_APP_ID}) is not on the EWS allow list the deploy puts in force, so it loses EWS; add it to ${settings.alsoAllow} if the organization uses it.`,
          ]),
    ],
  };
}
