import { exchangeObjectPermissions } from "../access-rights";

/** Needed for a `ManagementScope`: read Get-ManagementScope; write New-, Set- and Remove-ManagementScope. */
export const managementScopePermissions = exchangeObjectPermissions();
