import { exchangeObjectPermissions } from "../access-rights";

/** Needed for an `EwsAllowListEntry`: read Get-OrganizationConfig -RetrieveEwsOperationAccessPolicy; write Set-OrganizationConfig. */
export const ewsAllowListPermissions = exchangeObjectPermissions();
