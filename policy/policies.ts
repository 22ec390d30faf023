import * as azuread from "@pulumi/azuread";
import * as cloudflare from "@pulumi/cloudflare";
import { validateResourceOfType, type ReportViolation, type ResourceValidationArgs, type ResourceValidationPolicy } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { CLOUDS } from "../m365/clouds";
import { GRAPH_APP_ROLES, MICROSOFT_GRAPH_APP_ID, READ_ONLY_DIRECTORY_ROLES } from "../m365/entra";
import { EWS_ACCESS_ROLE, LEGACY_IMPERSONATION_ROLE } from "../m365/exchange-facts";
import { AUTODISCOVER_TARGET } from "../m365/autodiscover";
import { isArchivingRole, MAILBOX_RESOURCES, SCOPED_EQUIVALENTS, scopedEquivalentOf, type ScopedEquivalent } from "../m365/mail-access";

// What must never be deployed. Policies only read what they need: during a preview a value the
// engine does not know yet throws when read, and @pulumi/policy turns the whole validation into
// an advisory "can't run during preview" note, so known properties are checked before others.

/**
 * Reads a value only to describe a resource in a message: an unknown value must not hide the
 * violation being reported.
 */
function describedBy(read: () => unknown, fallback: string): string {
  try {
    const value = read();
    return typeof value === "string" && value !== "" ? value : fallback;
  } catch {
    return fallback;
  }
}

const sameHost = (a: unknown, b: string) => typeof a === "string" && a.toLowerCase().replace(/\.$/, "") === b;

// ---------------------------------------------------------------------------------------------
// 1. Microsoft 365 DNS records

/** Owner names of Microsoft 365's records, relative to the domain (docs/microsoft-365.md, "DNS records", and the DKIM selectors). */
const MICROSOFT_365_HOSTS = [
  "autodiscover",
  "_autodiscover._tcp",
  "sip",
  "lyncdiscover",
  "_sip._tls",
  "_sipfederationtls._tcp",
  "enterpriseregistration",
  "enterpriseenrollment",
  "selector1._domainkey",
  "selector2._domainkey",
] as const;

/** A record name as Cloudflare accepts it — full (`sip.contoso.com`), relative (`sip`) or `@` — lower-case, without a final dot. */
const normalizedName = (name: string) => name.toLowerCase().replace(/\.$/, "");
const isHost = (name: string, host: string) => name === host || name.startsWith(`${host}.`);
const isMicrosoft365Record = (name: string, type: string) => type === "MX" || MICROSOFT_365_HOSTS.some((host) => isHost(name, host));

const AUTODISCOVER_PURPOSE = "or Outlook and Retain cannot find the Exchange Online mailboxes";

function checkAutodiscoverCname(record: { content?: string }, label: string, type: string, report: ReportViolation): void {
  if (type !== "CNAME") {
    report(`${label} has the wrong type: declare it as a CNAME to ${AUTODISCOVER_TARGET}, ${AUTODISCOVER_PURPOSE}.`);
  } else if (!sameHost(record.content, AUTODISCOVER_TARGET)) {
    const target = record.content ? `points at ${record.content}` : "has no target";
    report(`${label} ${target}: it must be a CNAME to ${AUTODISCOVER_TARGET}, ${AUTODISCOVER_PURPOSE}.`);
  }
}

function checkAutodiscoverSrv(record: { data?: { target?: string; port?: number } }, label: string, type: string, report: ReportViolation): void {
  const wanted = `${AUTODISCOVER_TARGET} port 443`;
  if (type !== "SRV") {
    report(`${label} has the wrong type: declare it as an SRV record to ${wanted}, ${AUTODISCOVER_PURPOSE}.`);
    return;
  }
  const { target, port } = record.data ?? {};
  if (!sameHost(target, AUTODISCOVER_TARGET) || Number(port) !== 443) {
    report(`${label} targets ${target ?? "nothing"} port ${port ?? "none"}: it must target ${wanted}, ${AUTODISCOVER_PURPOSE}.`);
  }
}

export const microsoft365DnsRecords: ResourceValidationPolicy = {
  name: "m365-dns-records-dns-only-and-on-target",
  description: `Prevents Microsoft 365 DNS records that Cloudflare proxies, and autodiscover records (CNAME autodiscover.<domain>, SRV _autodiscover._tcp.<domain>) that do not point at ${AUTODISCOVER_TARGET} port 443, because clients and Retain must reach Microsoft directly: a proxied or mis-targeted record breaks autodiscover, mail, Teams or Intune.`,
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(cloudflare.DnsRecord, (record, _args, report) => {
    const name = normalizedName(record.name);
    const type = record.type.toUpperCase();
    if (!isMicrosoft365Record(name, type)) return;
    const label = `DNS record ${record.name} (${type})`;
    if (record.proxied === true) {
      report(
        `${label} is proxied by Cloudflare: set proxied to false (DNS only). Microsoft 365 records must answer with Microsoft's own hosts; a proxied record answers with Cloudflare's addresses.`,
      );
    }
    if (isHost(name, "autodiscover")) checkAutodiscoverCname(record, label, type, report);
    else if (isHost(name, "_autodiscover._tcp")) checkAutodiscoverSrv(record, label, type, report);
  }),
};

// ---------------------------------------------------------------------------------------------
// 2. and 3. Retain's users

const userLabel = (user: { userPrincipalName: string }, args: ResourceValidationArgs) => `Entra user ${describedBy(() => user.userPrincipalName, args.name)}`;

export const retainUserPasswordNeverExpires: ResourceValidationPolicy = {
  name: "retain-user-password-never-expires",
  description:
    'Prevents a Retain user without disablePasswordExpiration: true, because in tenants whose passwords expire (90 days in older tenants) Retain\'s accounts stop signing in and the worker log fills with "Invalid Password" errors.',
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(azuread.User, (user, args, report) => {
    if (user.disablePasswordExpiration !== true) {
      report(
        `${userLabel(user, args)} does not set disablePasswordExpiration: true: set it, or where the tenant's passwords expire Retain stops signing in with "Invalid Password" errors until someone resets the password by hand.`,
      );
    }
  }),
};

export const retainUserPasswordSecret: ResourceValidationPolicy = {
  name: "retain-user-password-secret",
  description:
    "Prevents a Retain user whose password is not a declared secret output (additionalSecretOutputs), because the password must never be stored or shown in plain text; @pulumi/policy gives validations secret inputs already unwrapped, so this declaration is the secrecy signal a policy can check.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(azuread.User, (user, args, report) => {
    // `in`, not a read: the password is unknown in a preview, and reading it would throw.
    if (!("password" in user)) return;
    if (!args.opts.additionalSecretOutputs.includes("password")) {
      report(
        `${userLabel(user, args)} has a password that is not declared secret: give the resource additionalSecretOutputs ["password"] and pass the password as a Pulumi secret, so that Pulumi encrypts it in the stack state and masks it in previews and logs.`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// 4. Directory roles

const READ_ONLY_ROLE_IDS = new Set<string>(Object.values(READ_ONLY_DIRECTORY_ROLES));
const READ_ONLY_ROLE_NAMES = Object.keys(READ_ONLY_DIRECTORY_ROLES).join(", ");

export const readOnlyDirectoryRoles: ResourceValidationPolicy = {
  name: "directory-roles-read-only",
  description: `Prevents an Entra directory role assignment outside the read-only roles (${READ_ONLY_ROLE_NAMES}), because the sync admin only reads the directory and a role that can change it would let anyone holding the admin's password change the tenant.`,
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(azuread.DirectoryRoleAssignment, (assignment, args, report) => {
    if (!READ_ONLY_ROLE_IDS.has(assignment.roleId.toLowerCase())) {
      report(
        `Directory role assignment ${args.name} gives role ${assignment.roleId}, which is not a read-only role: assign one of ${READ_ONLY_ROLE_NAMES} (retain-m365:adminUser.directoryRole); the sync admin only reads the directory.`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// 5. Application permissions

const GRANTED_GRAPH_ROLE_IDS = new Set<string>(Object.values(GRAPH_APP_ROLES));
const GRANTED_GRAPH_ROLES = Object.entries(GRAPH_APP_ROLES)
  .map(([permission, id]) => `${permission} (${id})`)
  .join(" and ");
const PERMISSIONS_REMEDY = `Retain's app may hold only Microsoft Graph's ${GRANTED_GRAPH_ROLES}; remove it`;

const isGrantedGraphRole = (api: string | undefined, roleId: string) =>
  api?.toLowerCase() === MICROSOFT_GRAPH_APP_ID && GRANTED_GRAPH_ROLE_IDS.has(roleId.toLowerCase());

/** A permission to mailboxes named after its id, where the id is one of theirs (no-unscoped-mailbox-permission says what instead). */
function named(roleId: string, api?: string): string {
  const known = scopedEquivalentOf(roleId, api);
  return known ? ` (${MAILBOX_RESOURCES[known.resourceAppId]}'s ${known.permission})` : "";
}

function checkRequiredResourceAccess(application: Unwrap<azuread.ApplicationArgs>, report: ReportViolation, displayName: string): void {
  for (const api of application.requiredResourceAccesses ?? []) {
    for (const access of api.resourceAccesses) {
      if (access.type.toLowerCase() === "role" && !isGrantedGraphRole(api.resourceAppId, access.id)) {
        report(
          `Application "${displayName}" requests application permission ${access.id}${named(access.id, api.resourceAppId)} of API ${api.resourceAppId}: ${PERMISSIONS_REMEDY}.`,
        );
      }
    }
  }
}

export const graphApplicationPermissionsOnly: ResourceValidationPolicy = {
  name: "application-permissions-graph-read-only",
  description: `Prevents application permissions other than Microsoft Graph's ${Object.keys(GRAPH_APP_ROLES).join(" and ")} (app role assignments, requiredResourceAccess, ApplicationApiAccess), because Retain's app only reads users and group members and an application permission applies tenant-wide (Exchange's full_access_as_app, for one, bypasses the Exchange management scope).`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const assignment = args.asType(azuread.AppRoleAssignment);
    if (assignment) {
      if (!GRANTED_GRAPH_ROLE_IDS.has(assignment.appRoleId.toLowerCase())) {
        report(`App role assignment ${args.name} grants app role ${assignment.appRoleId}${named(assignment.appRoleId)}: ${PERMISSIONS_REMEDY}.`);
      }
      return;
    }
    const application = args.asType(azuread.Application);
    if (application) {
      checkRequiredResourceAccess(
        application,
        report,
        describedBy(() => application.displayName, args.name),
      );
      return;
    }
    const apiAccess = args.asType(azuread.ApplicationApiAccess);
    if (apiAccess) {
      for (const roleId of apiAccess.roleIds ?? []) {
        if (!isGrantedGraphRole(apiAccess.apiClientId, roleId)) {
          report(
            `API access ${args.name} requests application permission ${roleId}${named(roleId, apiAccess.apiClientId)} of API ${apiAccess.apiClientId}: ${PERMISSIONS_REMEDY}.`,
          );
        }
      }
      return;
    }
    args.notApplicable("Policy only applies to app role assignments, applications and application API access");
  },
};

// ---------------------------------------------------------------------------------------------
// 6. Legacy impersonation

/** What `pulumi.dynamic.Resource` registers for `RoleAssignment` (module `exchange`, type `RoleAssignment`). */
export const EXCHANGE_ROLE_ASSIGNMENT_TYPE = "pulumi-nodejs:dynamic/exchange:RoleAssignment";

const sameEndpoint = (a: string, b: string) => a.toLowerCase().replace(/\/+$/, "") === b.toLowerCase().replace(/\/+$/, "");

export const noApplicationImpersonation: ResourceValidationPolicy = {
  name: "no-application-impersonation",
  description: `Prevents the legacy ${LEGACY_IMPERSONATION_ROLE} role assignment in Exchange Online's commercial cloud (the Exchange endpoint ${CLOUDS.global.exchange}, which every stack of this program uses today), because Microsoft removed that role in February 2025 (MC718754) and the deployment would fail; mode application-rbac replaces it.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== EXCHANGE_ROLE_ASSIGNMENT_TYPE) args.notApplicable(`Policy only applies to resources of type '${EXCHANGE_ROLE_ASSIGNMENT_TYPE}'`);
    const props = args.props as { role?: unknown; exchangeEndpoint?: string; name?: string; user?: string };
    if (typeof props.role !== "string" || props.role.toLowerCase() !== LEGACY_IMPERSONATION_ROLE.toLowerCase()) return;
    const endpoint = props.exchangeEndpoint ?? CLOUDS.global.exchange;
    if (!sameEndpoint(endpoint, CLOUDS.global.exchange)) return;
    const assignment = describedBy(() => props.name, args.name);
    const assignee = describedBy(() => props.user, "its assignee");
    report(
      `Exchange role assignment ${assignment} gives ${LEGACY_IMPERSONATION_ROLE} to ${assignee} in Exchange Online (${endpoint}): Microsoft removed that role in February 2025 (MC718754), so this deployment would fail. Set retain-m365:exchangeAccess.mode to application-rbac; Retain's app then gets Application EWS.AccessAsApp instead.`,
    );
  },
};

// ---------------------------------------------------------------------------------------------
// 7. Retain's app reaches only the mailboxes the stack decided

/** The stack's keys a refusal names (config/defaults.ts has the same; the pack reads only m365/). */
const SCOPE_GROUP_SETTING = "retain-m365:exchangeAccess.scopeGroup";
const ALL_MAILBOXES_SETTING = "retain-m365:exchangeAccess.allMailboxes";

/** Whether a value is known and set; an unknown one (a preview: the scope's name comes from another resource) counts as set. */
function isSetOrUnknown(read: () => unknown): boolean {
  try {
    const value = read();
    return typeof value === "string" ? value !== "" : value !== undefined && value !== null;
  } catch {
    return true;
  }
}

export const scopedApplicationAccess: ResourceValidationPolicy = {
  name: "exchange-application-access-scoped",
  description: `Prevents an Exchange role assignment to an application without a management scope (customResourceScope) unless the stack recorded the decision that it reaches every mailbox (${ALL_MAILBOXES_SETTING}: true), because ${EWS_ACCESS_ROLE} and the other application roles give full access to every mailbox in reach (read, change and send, for EWS.AccessAsApp): without a scope that is every mailbox of the organization.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== EXCHANGE_ROLE_ASSIGNMENT_TYPE) args.notApplicable(`Policy only applies to resources of type '${EXCHANGE_ROLE_ASSIGNMENT_TYPE}'`);
    const props = args.props as { app?: unknown; customResourceScope?: unknown; allMailboxes?: unknown; role?: unknown; name?: unknown };
    // `in` first: the app's object id is unknown in a preview, and reading it would throw.
    if (!("app" in props) || props.allMailboxes === true) return;
    if ("customResourceScope" in props && isSetOrUnknown(() => props.customResourceScope)) return;
    const assignment = describedBy(() => props.name, args.name);
    const role = describedBy(() => props.role, "an application role");
    report(
      `Exchange role assignment ${assignment} gives ${role} to an application without a management scope: it reaches every mailbox of the organization, with full access (read, change and send through EWS). ` +
        `Set ${SCOPE_GROUP_SETTING} to the group whose members Retain archives, or record the decision with ${ALL_MAILBOXES_SETTING}: true.`,
    );
  },
};

// ---------------------------------------------------------------------------------------------
// 8. No unscoped grant of what an Exchange application role grants within the scope

const ROLES_SETTING = "retain-m365:exchangeAccess.roles";

/** Where an app role id names an unscoped permission to mailboxes: what it is and what to list instead. */
function unscopedMailboxPermission(grant: string, permission: ScopedEquivalent): string {
  const what = `${grant} ${MAILBOX_RESOURCES[permission.resourceAppId]}'s application permission ${permission.permission} (${permission.appRoleId})`;
  const reach = "which reaches every mailbox of the organization whatever the Exchange management scope says (permissions add up)";
  const instead = isArchivingRole(permission.scopedRole)
    ? `remove it and list "${permission.scopedRole}" in ${ROLES_SETTING} instead: that Exchange role grants the same, within the management scope`
    : `remove it: Exchange's scoped role for it, "${permission.scopedRole}", changes mailboxes, which an archiver never needs, so ${ROLES_SETTING} takes no such role`;
  return `${what}, ${reach}: ${instead}.`;
}

/** The permission families the policy knows, by resource: "Microsoft Graph's Mail.*, …". */
const SCOPED_FAMILIES = Object.entries(MAILBOX_RESOURCES)
  .map(([appId, resource]) => {
    const families = [...new Set(SCOPED_EQUIVALENTS.filter((e) => e.resourceAppId === appId).map((e) => e.permission.replace(/\..*$/, ".*")))];
    return `${resource}'s ${families.join(", ")}`;
  })
  .join("; ");

export const noUnscopedMailboxPermission: ResourceValidationPolicy = {
  name: "no-unscoped-mailbox-permission",
  description: `Prevents an Entra application permission to mailboxes that an Exchange application role also grants within a management scope (${SCOPED_FAMILIES}) in app role assignments, requiredResourceAccess and ApplicationApiAccess, because permissions are additive: the unscoped Entra grant reaches every mailbox of the organization and makes the Exchange management scope (${SCOPE_GROUP_SETTING}) meaningless, so the scoped role belongs in ${ROLES_SETTING} instead.`,
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const assignment = args.asType(azuread.AppRoleAssignment);
    if (assignment) {
      // An assignment names its resource by service principal object id, different in every tenant: the id alone tells.
      const permission = scopedEquivalentOf(assignment.appRoleId);
      if (permission) report(unscopedMailboxPermission(`App role assignment ${args.name} grants`, permission));
      return;
    }
    const application = args.asType(azuread.Application);
    if (application) {
      const displayName = describedBy(() => application.displayName, args.name);
      for (const api of application.requiredResourceAccesses ?? []) {
        for (const access of api.resourceAccesses) {
          const permission = access.type.toLowerCase() === "role" ? scopedEquivalentOf(access.id, api.resourceAppId) : undefined;
          if (permission) report(unscopedMailboxPermission(`Application "${displayName}" requests`, permission));
        }
      }
      return;
    }
    const apiAccess = args.asType(azuread.ApplicationApiAccess);
    if (apiAccess) {
      for (const roleId of apiAccess.roleIds ?? []) {
        const permission = scopedEquivalentOf(roleId, apiAccess.apiClientId);
        if (permission) report(unscopedMailboxPermission(`API access ${args.name} requests`, permission));
      }
      return;
    }
    args.notApplicable("Policy only applies to app role assignments, applications and application API access");
  },
};

/** Every policy of the pack, in the order they are reported. */
export const policies: ResourceValidationPolicy[] = [
  microsoft365DnsRecords,
  retainUserPasswordNeverExpires,
  retainUserPasswordSecret,
  readOnlyDirectoryRoles,
  graphApplicationPermissionsOnly,
  noApplicationImpersonation,
  scopedApplicationAccess,
  noUnscopedMailboxPermission,
];
