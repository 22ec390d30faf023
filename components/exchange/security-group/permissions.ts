import { exchangeObjectPermissions } from "../access-rights";

/** Needed for a `SecurityGroup`: read Get-DistributionGroup; write New- and Remove-DistributionGroup. */
export const securityGroupPermissions = exchangeObjectPermissions();
