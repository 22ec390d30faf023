import { NAMESPACE } from "../../config/schema";
import type { ExchangeObject, ExchangeTarget } from "../../m365/exchange-admin-api";
import { LEGACY_IMPERSONATION_ROLE, TEAMS_APP_ID } from "../../m365/exchange-facts";
import { EMPTY_ALLOW_LIST_BLOCKS_SINCE } from "../../m365/ews-retirement";
import { ALLOW_LIST_DELAY, emptyListRefusal, listed, notEnforcedRefusal, type OrganizationEws } from "../../components/exchange/ews-allow-list";
import { EXCHANGE_ADMIN_API_PERMISSION } from "../../components/exchange/exchange-access";
import { memberOfGroupFilter } from "../../components/exchange/management-scope";
import { differences, isRegularAssignment, referenceIds } from "../../components/exchange/objects";
import { exchangeReader, type ExchangeReader } from "../exchange-reads";
import type { Discovery, Finding, UrnOf } from "./findings";

/** A resource of the plan, by its name. */
interface Planned {
  resourceName: string;
}

/** The plan's Exchange resources, with the inputs discovery compares (`retain-m365 plan --json`). */
export interface ExchangeDiscoveryInputs {
  /** Retain's app as Exchange will know it (application-rbac). */
  servicePrincipal?: Planned & { displayName: string };
  /** The security group of `scopeGroup` and the management scope limited to its members. */
  scope?: { group: Planned & { name: string }; scope: Planned & { name: string } };
  /** To Retain's app, or (application-impersonation) to the worker `user`. */
  roleAssignments: (Planned & { name: string; role: string; user?: string })[];
  /** Absent when the configuration leaves the organization's EWS allow list alone. */
  ewsAllowList?: Planned & { enforce: boolean; alsoAllow: string[]; enforceSetting: string };
}

const setting = (path: string) => `${NAMESPACE}:exchangeAccess.${path}`;

/** What reading Exchange needs, named when Exchange refuses. */
export const EXCHANGE_READ_ACCESS = `${EXCHANGE_ADMIN_API_PERMISSION}, and the Entra role Global Reader or Exchange Administrator, for the identity running adopt`;


const same = (a: unknown, b: unknown) => String(a ?? "").toLowerCase() === String(b ?? "").toLowerCase();
const assigneeOf = (assignment: ExchangeObject) => String(assignment.RoleAssigneeName ?? assignment.RoleAssignee ?? "");

/**
 * What the deploy will do with each Exchange object the plan declares, and what Exchange holds
 * beside them that is worth knowing. Our dynamic providers take an existing object over on create,
 * so nothing is imported: `adopt` findings carry no import id.
 */
export async function discoverExchange(target: ExchangeTarget, inputs: ExchangeDiscoveryInputs, urnOf: UrnOf): Promise<Discovery> {
  const exchange = exchangeReader(target, EXCHANGE_READ_ACCESS);
  const findings: Finding[] = [];
  const notices: string[] = [];
  const assignments = await exchange.list("Get-ManagementRoleAssignment");

  if (inputs.servicePrincipal) {
    const { resourceName, displayName } = inputs.servicePrincipal;
    findings.push({
      urn: urnOf(resourceName),
      action: "create",
      detail: `The deploy registers Retain's app in Entra, so Exchange cannot know it yet: the deploy makes its Exchange service principal "${displayName}" (New-ServicePrincipal).`,
    });
    notices.push(...namesakeNotices(await exchange.list("Get-ServicePrincipal"), displayName, assignments));
  }
  if (inputs.scope) findings.push(...(await scopeFindings(exchange, inputs.scope, urnOf)));
  for (const planned of inputs.roleAssignments) findings.push(await roleAssignmentFinding(exchange, planned, assignments, urnOf));

  const ours = new Set(inputs.roleAssignments.map((planned) => planned.name.toLowerCase()));
  for (const leftover of assignments.filter((a) => same(a.Role, LEGACY_IMPERSONATION_ROLE) && isRegularAssignment(a) && !ours.has(String(a.Name).toLowerCase()))) {
    notices.push(
      `Exchange still has the ${LEGACY_IMPERSONATION_ROLE} role assignment "${String(leftover.Name)}" to ${assigneeOf(leftover)}. Exchange Online removed that role in February 2025; ` +
        `the assignment can be removed by hand (Remove-ManagementRoleAssignment -Identity "${String(leftover.Name)}"). The stack leaves it alone.`,
    );
  }

  const ews = await exchange.organizationEws();
  if (inputs.ewsAllowList) {
    const { finding, notices: found } = ewsAllowListFinding(ews, inputs.ewsAllowList, urnOf);
    findings.push(finding);
    notices.push(...found);
  } else if (ews.enabled === true && ews.allowed.length === 0) {
    notices.push(
      `The organization's EWS allow list is in force (EwsEnabled true) but empty, and the configuration leaves it alone: Microsoft's reference reads that as "no application restricted", ` +
        `the worldwide cloud since ${EMPTY_ALLOW_LIST_BLOCKS_SINCE} as "all EWS blocked", Retain's app included. Set ${setting("ewsAllowList")} to {enforce: true, alsoAllow: [...]} to have the deploy put a list with Retain's app in force.`,
    );
  } else if (ews.enabled !== null) {
    notices.push(
      ews.enabled
        ? `The organization's EWS allow list is in force (EwsEnabled true) and the configuration leaves it alone, so EWS will refuse Retain's app: set ${setting("ewsAllowList")} to true to have the deploy add it.`
        : `EWS is turned off for the whole organization (EwsEnabled false), so Retain cannot reach mailboxes: set ${setting("ewsAllowList")} to {enforce: true, alsoAllow: [...]} to put an allow list with Retain's app in force.`,
    );
  }
  return { findings, notices };
}

/** Service principals that carry Retain's app's display name but belong to another application (Retain's does not exist yet). */
function namesakeNotices(servicePrincipals: ExchangeObject[], displayName: string, assignments: ExchangeObject[]): string[] {
  return servicePrincipals
    .filter((sp) => same(sp.DisplayName, displayName))
    .map((sp) => {
      const ids = referenceIds(sp);
      const held = assignments.filter((a) => ids.some((id) => same(id, a.RoleAssignee))).map((a) => `"${String(a.Name)}" (${String(a.Role)})`);
      return (
        `Exchange already has a service principal named "${displayName}" for another application (AppId ${String(sp.AppId)})` +
        (held.length > 0 ? `, holding the role assignments ${held.join(", ")}` : "") +
        `: it is not the app the deploy registers, and the stack leaves it alone.`
      );
    });
}

async function scopeFindings(exchange: ExchangeReader, planned: NonNullable<ExchangeDiscoveryInputs["scope"]>, urnOf: UrnOf): Promise<Finding[]> {
  const decide = setting("scopeGroup");
  const { group, scope } = planned;
  const existingGroup = await exchange.one("Get-DistributionGroup", group.name);
  const existingScope = await exchange.one("Get-ManagementScope", scope.name);
  const securityGroup = existingGroup && /SecurityEnabled/i.test(String(existingGroup.GroupType ?? "")) ? existingGroup : undefined;

  let groupFinding: Finding;
  if (!existingGroup) {
    groupFinding = { urn: urnOf(group.resourceName), action: "create", detail: `No group "${group.name}" exists: the deploy creates it as a mail-enabled security group, whose members are the mailboxes Retain may reach.` };
  } else if (!securityGroup) {
    groupFinding = {
      urn: urnOf(group.resourceName),
      action: "conflict",
      decide,
      detail: `Exchange has a group "${group.name}" that is not security-enabled (GroupType ${String(existingGroup.GroupType)}); a management scope needs a mail-enabled security group, so the deploy would stop there. Name another group in ${decide}, or replace this one by hand.`,
    };
  } else {
    groupFinding = {
      urn: urnOf(group.resourceName),
      action: "adopt",
      detail: `The mail-enabled security group "${group.name}" exists: the deploy takes it over as it is (its provider adopts an existing group on create), so its members now are the mailboxes Retain may reach; a destroy leaves it in place.`,
    };
  }

  let scopeFinding: Finding;
  if (!existingScope) {
    scopeFinding = { urn: urnOf(scope.resourceName), action: "create", detail: `The deploy creates the management scope "${scope.name}", limiting Retain's roles to the members of "${group.name}".` };
  } else {
    const filter = String(existingScope.RecipientFilter ?? "");
    const differs = securityGroup ? differences(existingScope, { RecipientFilter: memberOfGroupFilter(String(securityGroup.DistinguishedName ?? "")) }) : [];
    scopeFinding =
      securityGroup && differs.length === 0
        ? {
            urn: urnOf(scope.resourceName),
            action: "adopt",
            detail: `The management scope "${scope.name}" exists with the filter the deploy would give it (members of "${group.name}"): the deploy takes it over as it is (its provider adopts an existing scope on create); a destroy removes it.`,
          }
        : {
            urn: urnOf(scope.resourceName),
            action: "conflict",
            decide,
            detail:
              `The management scope "${scope.name}" exists with the filter "${filter}", which ` +
              (securityGroup ? `is not the members of "${group.name}"` : `cannot name the group "${group.name}" the deploy would create`) +
              `, so the deploy would stop there. Name another group in ${decide}, or remove the scope by hand (Remove-ManagementScope -Identity "${scope.name}").`,
          };
  }
  return [groupFinding, scopeFinding];
}

async function roleAssignmentFinding(exchange: ExchangeReader, planned: ExchangeDiscoveryInputs["roleAssignments"][number], assignments: ExchangeObject[], urnOf: UrnOf): Promise<Finding> {
  const urn = urnOf(planned.resourceName);
  const decide = planned.user ? setting("mode") : setting("roles");
  const assignee = planned.user ?? "Retain's app";
  const existing = assignments.find((a) => same(a.Name, planned.name));
  if (!existing) {
    if (await exchange.one("Get-ManagementRole", planned.role)) {
      return { urn, action: "create", detail: `The deploy assigns the role "${planned.role}" to ${assignee} as "${planned.name}".` };
    }
    const detail =
      planned.role === LEGACY_IMPERSONATION_ROLE
        ? `Exchange Online has no ${LEGACY_IMPERSONATION_ROLE} role any more (Microsoft removed it in February 2025), so the deploy cannot assign it to ${assignee}: set ${decide} to application-rbac.`
        : `Exchange has no role "${planned.role}" in this organization, so the deploy cannot assign it: leave it out of ${decide}.`;
    return { urn, action: "conflict", decide, detail };
  }
  const removeByHand = `Remove-ManagementRoleAssignment -Identity "${planned.name}"`;
  if (!planned.user) {
    // The assignee would have to be Retain's app, which the deploy has not registered yet: no setting renames the assignment.
    return {
      urn,
      action: "conflict",
      detail: `The role assignment "${planned.name}" exists, giving "${String(existing.Role)}" to ${assigneeOf(existing)}, not to Retain's app (which the deploy registers), so the deploy would stop there. Remove it by hand (${removeByHand}) if it is left from an earlier setup.`,
    };
  }
  const differs = [
    ...differences(existing, { Role: planned.role, RoleAssigneeType: "User", CustomResourceScope: undefined }),
    ...(same(existing.RoleAssignee, planned.user) ? [] : [`RoleAssignee is "${String(existing.RoleAssignee ?? "")}" there, "${planned.user}" here`]),
  ];
  return differs.length === 0
    ? { urn, action: "adopt", detail: `The role assignment "${planned.name}" (${planned.role} to ${planned.user}) exists: the deploy takes it over as it is (its provider adopts an existing assignment on create); a destroy removes it.` }
    : { urn, action: "conflict", decide, detail: `The role assignment "${planned.name}" exists with other settings (${differs.join("; ")}), so the deploy would stop there. Remove it by hand (${removeByHand}), or set ${decide} to application-rbac.` };
}

function ewsAllowListFinding(ews: OrganizationEws, planned: NonNullable<ExchangeDiscoveryInputs["ewsAllowList"]>, urnOf: UrnOf): { finding: Finding; notices: string[] } {
  const urn = urnOf(planned.resourceName);
  const missing = planned.alsoAllow.filter((id) => !listed(ews.allowed, id));
  const others = `${ews.allowed.length} application id${ews.allowed.length === 1 ? "" : "s"} listed now`;
  const added = `Retain's app id${missing.length > 0 ? ` and ${missing.join(", ")}` : ""}`;
  const { enabled } = ews;
  const delay = [ALLOW_LIST_DELAY];
  if (enabled === true && ews.allowed.length === 0 && !planned.enforce) {
    return { finding: { urn, action: "conflict", decide: planned.enforceSetting, detail: emptyListRefusal(planned.enforceSetting) }, notices: [] };
  }
  if (enabled === true && ews.allowed.length > 0) {
    const already = planned.alsoAllow.length - missing.length;
    return {
      finding: { urn, action: "merge", detail: `The organization's EWS allow list is in force (EwsEnabled true): the deploy adds ${added} and keeps the ${others}${already > 0 ? ` (${already} of alsoAllow among them)` : ""}.` },
      notices: delay,
    };
  }
  if (enabled !== true && !planned.enforce) return { finding: { urn, action: "conflict", decide: planned.enforceSetting, detail: notEnforcedRefusal(enabled, planned.enforceSetting) }, notices: [] };
  const teamsKept = listed([...ews.allowed, ...planned.alsoAllow], TEAMS_APP_ID);
  const state = enabled === true ? "in force (EwsEnabled true) but empty" : `not in force (EwsEnabled ${enabled === null ? "unset" : "false"})`;
  return {
    finding: {
      urn,
      action: "merge",
      detail:
        `The organization's EWS allow list is ${state}; as ${planned.enforceSetting} decides, the deploy puts it in force ` +
        `with ${added}${ews.allowed.length > 0 ? ` besides the ${others}` : ""}, the list first and EwsEnabled second: from then on only these applications reach EWS, tenant-wide.`,
    },
    notices: [
      ...delay,
      ...(teamsKept ? [] : [`Microsoft Teams' calendar integration (app id ${TEAMS_APP_ID}) is not on the EWS allow list the deploy puts in force, so it loses EWS; add it to ${setting("ewsAllowList.alsoAllow")} if the organization uses it.`]),
    ],
  };
}
