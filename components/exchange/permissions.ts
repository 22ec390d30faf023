import { combinePermissions } from "../permissions";
import { ewsAllowListPermissions } from "./ews-allow-list/permissions";
import { managementScopePermissions } from "./management-scope/permissions";
import { roleAssignmentPermissions } from "./role-assignment/permissions";
import { securityGroupPermissions } from "./security-group/permissions";
import { servicePrincipalPermissions } from "./service-principal/permissions";

/** Needed for `ExchangeAccess` (through the Exchange admin API, as the deploying app): the union of its objects' needs. */
export const exchangeAccessPermissions = combinePermissions(
  servicePrincipalPermissions,
  securityGroupPermissions,
  managementScopePermissions,
  roleAssignmentPermissions,
  ewsAllowListPermissions,
);
