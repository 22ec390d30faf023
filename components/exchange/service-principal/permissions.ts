import { exchangeObjectPermissions } from "../access-rights";

/** Needed for an `ExchangeServicePrincipal`: read Get-ServicePrincipal; write New-, Set- and Remove-ServicePrincipal. */
export const servicePrincipalPermissions = exchangeObjectPermissions();
