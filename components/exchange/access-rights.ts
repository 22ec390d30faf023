import { EXCHANGE_MANAGE_AS_APP, EXCHANGE_ONLINE_APP_ID } from "../../m365/exchange-facts";
import { permissions } from "../permissions";

// What every Exchange object of ExchangeAccess is read and written with: the Exchange admin API
// (`InvokeCommand`) as the deploying app, a role to read, a role to write. Each object's folder
// states its needs with these (its permissions.ts); ExchangeAccess's are their union (permissions.ts).

/** What lets the deploying identity call the Exchange admin API as an app. */
export const EXCHANGE_ADMIN_API_PERMISSION = `${EXCHANGE_MANAGE_AS_APP} on Office 365 Exchange Online (${EXCHANGE_ONLINE_APP_ID})`;

/**
 * The Entra role that reads Exchange's objects for `adopt`, `readiness` and a refresh: the least that
 * runs their Get- cmdlets as an app (Exchange Administrator can too, and more). Named alike everywhere.
 */
export const EXCHANGE_READER_ROLE = "Global Reader";

/** What a refresh (`pulumi preview --refresh`, the Drift workflow) needs to read the objects back: each one's Get- cmdlet. */
const REFRESH_READER = `Entra role ${EXCHANGE_READER_ROLE}, held by the previewing identity: a refresh reads the service principal, scope, group, role assignments and EWS allow list back (Get-ServicePrincipal, Get-DistributionGroup, Get-ManagementScope, Get-ManagementRoleAssignment, Get-OrganizationConfig)`;

/**
 * Needed for one Exchange object. A plain preview calls nothing (`check` and `diff` call no API);
 * a refresh runs the object's `read`, Get- cmdlets only; create, update and delete run its New-,
 * Set- and Remove- cmdlets as Exchange Administrator.
 */
export const exchangeObjectPermissions = () =>
  permissions({
    read: { exchange: [EXCHANGE_ADMIN_API_PERMISSION, REFRESH_READER] },
    write: { exchange: [EXCHANGE_ADMIN_API_PERMISSION], entraRoles: ["Exchange Administrator, held by the deploying identity"] },
  });
