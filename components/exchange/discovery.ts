import type { ExchangeTarget } from "../../m365/exchange-admin-api";
import { LEGACY_IMPERSONATION_ROLE } from "../../m365/exchange-facts";
import type { Discovery, Finding, UrnOf } from "../discovery";
import { EXCHANGE_ADMIN_API_PERMISSION, EXCHANGE_READER_ROLE } from "./access-rights";
import { discoverEwsAllowList, type EwsAllowListSettings, type PlannedEwsAllowList } from "./ews-allow-list/discovery";
import { assignmentName, exchangeAccessNames, scopeName, type ExchangeAccessMode } from "./index";
import { discoverManagementScope, type PlannedManagementScope } from "./management-scope/discovery";
import { exchangeReader } from "./reads";
import { discoverRoleAssignment, leftoverImpersonationNotices, type PlannedRoleAssignment, type RoleAssignmentSettings } from "./role-assignment/discovery";
import { emptyScopeGroupNotice, readSecurityGroup, securityGroupFinding, type PlannedSecurityGroup } from "./security-group/discovery";
import { discoverServicePrincipal, type PlannedServicePrincipal } from "./service-principal/discovery";

// What `adopt` (and the deploy, before it declares anything) learns of ExchangeAccess's objects:
// Exchange is read once for what several objects share (the role assignments, the organization's
// EWS settings), and each object's folder says what the deploy will do with it.

/** The configuration keys that settle Exchange's conflicts, named in findings and notices. */
export interface ExchangeSettings extends RoleAssignmentSettings, EwsAllowListSettings {
  /** The group whose members the scope reaches. */
  scopeGroup: string;
}

/** The Exchange objects ExchangeAccess declares, each by its resource name, with what discovery compares. */
export interface ExchangeDiscoveryInputs {
  /** Retain's app as Exchange will know it (application-rbac). */
  servicePrincipal?: PlannedServicePrincipal;
  /** The security group of `scopeGroup` and the management scope limited to its members. */
  scope?: { group: PlannedSecurityGroup; scope: PlannedManagementScope };
  /** To Retain's app, or (application-impersonation) to the worker `user`. */
  roleAssignments: PlannedRoleAssignment[];
  /** Absent when the configuration leaves the organization's EWS allow list alone. */
  ewsAllowList?: PlannedEwsAllowList;
  settings: ExchangeSettings;
}

/** ExchangeAccess's arguments as discovery reads them: plain values, as the stack configuration gives them. */
export interface DeclaredExchangeAccess {
  mode: ExchangeAccessMode;
  roles?: readonly string[];
  scopeGroup?: string;
  ewsAllowList?: { enforce?: boolean; alsoAllow?: string[] };
  app: { displayName: string };
  workerUserPrincipalName: string;
  ewsEnforceSetting?: string;
}

/** What reading Exchange needs, named when Exchange refuses. */
export const EXCHANGE_READ_ACCESS = `${EXCHANGE_ADMIN_API_PERMISSION}, and the Entra role ${EXCHANGE_READER_ROLE}, for the identity running adopt`;

const byResourceName = (a: { resourceName: string }, b: { resourceName: string }) =>
  a.resourceName < b.resourceName ? -1 : a.resourceName > b.resourceName ? 1 : 0;

/**
 * The objects an ExchangeAccess of this name declares with these arguments, named as it names them
 * (exchangeAccessNames) and with the values it gives them (scopeName, assignmentName).
 */
export function declaredExchangeObjects(name: string, args: DeclaredExchangeAccess, settings: ExchangeSettings): ExchangeDiscoveryInputs {
  const names = exchangeAccessNames(name);
  const rbac = args.mode === "application-rbac";
  const assignments: PlannedRoleAssignment[] = rbac
    ? (args.roles ?? []).map((role) => ({ resourceName: names.role(role), name: assignmentName(role), role }))
    : [
        {
          resourceName: names.impersonation,
          name: assignmentName(LEGACY_IMPERSONATION_ROLE),
          role: LEGACY_IMPERSONATION_ROLE,
          user: args.workerUserPrincipalName,
        },
      ];
  const { scopeGroup, ewsAllowList } = args;
  return {
    servicePrincipal: rbac ? { resourceName: names.servicePrincipal, displayName: args.app.displayName } : undefined,
    scope:
      rbac && scopeGroup
        ? { group: { resourceName: names.scopeGroup, name: scopeGroup }, scope: { resourceName: names.scope, name: scopeName(scopeGroup) } }
        : undefined,
    // In the plan's order: `plan --json` lists a component's resources by name.
    roleAssignments: assignments.sort(byResourceName),
    ewsAllowList: ewsAllowList
      ? {
          resourceName: names.ewsAllowList,
          enforce: ewsAllowList.enforce ?? false,
          alsoAllow: ewsAllowList.alsoAllow ?? [],
          enforceSetting: args.ewsEnforceSetting ?? "enforce",
        }
      : undefined,
    settings,
  };
}

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
    const servicePrincipal = await discoverServicePrincipal(exchange, inputs.servicePrincipal, assignments, urnOf);
    findings.push(...servicePrincipal.findings);
    notices.push(...servicePrincipal.notices);
  }
  if (inputs.scope) {
    const { group, scope } = inputs.scope;
    const decide = inputs.settings.scopeGroup;
    const reading = await readSecurityGroup(exchange, group.name);
    const scopeFinding = await discoverManagementScope(exchange, scope, { name: group.name, reading }, decide, urnOf);
    findings.push(securityGroupFinding(group, reading, decide, urnOf), scopeFinding);
    const empty = emptyScopeGroupNotice(group.name, reading);
    if (empty) notices.push(empty);
  }
  for (const planned of inputs.roleAssignments) findings.push(await discoverRoleAssignment(exchange, planned, assignments, inputs.settings, urnOf));
  notices.push(...leftoverImpersonationNotices(assignments, inputs.roleAssignments));

  const ews = discoverEwsAllowList(await exchange.organizationEws(), inputs.ewsAllowList, inputs.settings, urnOf);
  return { findings: [...findings, ...ews.findings], notices: [...notices, ...ews.notices] };
}
