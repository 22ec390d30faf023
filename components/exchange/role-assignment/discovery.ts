import type { ExchangeObject } from "../../../m365/exchange-admin-api";
import { LEGACY_IMPERSONATION_ROLE } from "../../../m365/exchange-facts";
import type { Finding, UrnOf } from "../../discovery";
import { differences, isRegularAssignment } from "../objects";
import type { ExchangeReader } from "../reads";

/** A role assignment as ExchangeAccess declares it: to Retain's app, or (application-impersonation) to the worker `user`. */
export interface PlannedRoleAssignment {
  resourceName: string;
  name: string;
  role: string;
  user?: string;
}

/** The configuration keys that settle a role assignment's conflict. */
export interface RoleAssignmentSettings {
  /** Where the roles are chosen (application-rbac). */
  roles: string;
  /** Where the mode is chosen (an assignment to the worker: application-impersonation). */
  mode: string;
}

const same = (a: unknown, b: unknown) => String(a ?? "").toLowerCase() === String(b ?? "").toLowerCase();
const assigneeOf = (assignment: ExchangeObject) => String(assignment.RoleAssigneeName ?? assignment.RoleAssignee ?? "");

/**
 * One assignment: created where absent and the role exists; taken over where the worker's exists
 * as declared; a conflict where the name is taken otherwise, or Exchange has no such role.
 */
export async function discoverRoleAssignment(
  exchange: ExchangeReader,
  planned: PlannedRoleAssignment,
  assignments: ExchangeObject[],
  settings: RoleAssignmentSettings,
  urnOf: UrnOf,
): Promise<Finding> {
  const urn = urnOf(planned.resourceName);
  const decide = planned.user ? settings.mode : settings.roles;
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
    ? {
        urn,
        action: "adopt",
        detail: `The role assignment "${planned.name}" (${planned.role} to ${planned.user}) exists: the deploy takes it over as it is (its provider adopts an existing assignment on create); a destroy removes it.`,
      }
    : {
        urn,
        action: "conflict",
        decide,
        detail: `The role assignment "${planned.name}" exists with other settings (${differs.join("; ")}), so the deploy would stop there. Remove it by hand (${removeByHand}), or set ${decide} to application-rbac.`,
      };
}

/** ApplicationImpersonation assignments the stack does not declare: left alone, and said to be removable by hand. */
export function leftoverImpersonationNotices(assignments: ExchangeObject[], planned: readonly PlannedRoleAssignment[]): string[] {
  const ours = new Set(planned.map((p) => p.name.toLowerCase()));
  return assignments
    .filter((a) => same(a.Role, LEGACY_IMPERSONATION_ROLE) && isRegularAssignment(a) && !ours.has(String(a.Name).toLowerCase()))
    .map(
      (leftover) =>
        `Exchange still has the ${LEGACY_IMPERSONATION_ROLE} role assignment "${String(leftover.Name)}" to ${assigneeOf(leftover)}. Exchange Online removed that role in February 2025; ` +
        `the assignment can be removed by hand (Remove-ManagementRoleAssignment -Identity "${String(leftover.Name)}"). The stack leaves it alone.`,
    );
}
