import { exchangeObjectPermissions } from "../access-rights";

/**
 * Needed for a `RoleAssignment`: read Get-ManagementRoleAssignment (and Get-ServicePrincipal, to
 * know an app assignee by any of its ids); write New- and Remove-ManagementRoleAssignment.
 */
export const roleAssignmentPermissions = exchangeObjectPermissions();
