import { startCloudflareEmulator, type CloudflareEmulator } from "../emulators/cloudflare";
import { directoryRoutes } from "../emulators/directory";
import { putUser, removeUser, setMember, syntheticTenant, type DirectoryTenant } from "../emulators/directory-tenant";
import { entraApps, entraRoutes, grantApplicationPermission, GRAPH_RESOURCE_APP_ID, registerApp, type EntraApps } from "../emulators/entra-readiness";
import { ewsRoute } from "../emulators/ews";
import { exchangeRoutes, exchangeState, invokeCmdlet, type ExchangeState } from "../emulators/exchange";
import { pagedCollection, startGraphEmulator, type GraphEmulator } from "../emulators/graph";
import { EXCHANGE_KIOSK_PLAN, EXCHANGE_PLAN_2 } from "../emulators/readiness-tenant";

// The demo's tenant: Contoso already runs Microsoft 365 (mail behind a gateway, a few hundred
// users, nested groups, a mailbox for each member user) and has what the manual Retain procedure
// left behind; `deployRetain` then makes what the first deploy adds. The ids and the domain are
// those of demo/Pulumi.contoso.yaml.

export const TENANT_ID = "3f2b6c1e-8d4a-4f7b-9a51-2c6e0d9b7a10";
export const ZONE_ID = "5c0e9b7a3d214f68a1e2b3c4d5e6f708";
/** Retain's app registration, as `pulumi up` would have made it; the sync signs in as it. */
export const RETAIN_APP_ID = "7d3e2a91-5b4c-4e8f-a6d2-0b1c9e8f7a65";
/** The identity an admin deploys (and runs `adopt`) with. */
const DEPLOYER_ID = "5a0c9e7d-3b2f-4d1a-8c6e-9f4b2a1d0e37";
const TEAMS_CALENDAR_APP = "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe";
const GLOBAL_ADMINISTRATOR_TEMPLATE = "62e90394-69f5-4237-9190-012177145e10";
/** The stack's `exchangeAccess.scopeGroup`, and `application.displayName` left at its default. */
const SCOPE_GROUP = "Retain Archived Users";
const APP_DISPLAY_NAME = "Retain Archiving";
/** The department whose mail Contoso archives: its members' mailboxes go into the scope group. */
const ARCHIVED_DEPARTMENT = "Finance";

export interface SampleTenant {
  graph: GraphEmulator;
  cloudflare: CloudflareEmulator;
  directory: DirectoryTenant;
  exchange: ExchangeState;
  /** Entra's app registrations and the permissions granted to them (what readiness reads from Graph). */
  entra: EntraApps;
  /** What the admin's shell would hold: the credentials, only ever the emulators' own. */
  secrets: { cloudflareToken: string; deployerId: string; deployerSecret: string; retainAppSecret: string };
  close(): Promise<void>;
}

/** Microsoft's records for contoso.com, as Graph's `serviceConfigurationRecords` lists them. */
const serviceRecords = [
  {
    "@odata.type": "#microsoft.graph.domainDnsMxRecord",
    id: "mx",
    isOptional: false,
    label: "contoso.com",
    recordType: "Mx",
    supportedService: "Email",
    ttl: 3600,
    mailExchange: "contoso-com.mail.protection.outlook.com",
    preference: 0,
  },
  {
    "@odata.type": "#microsoft.graph.domainDnsTxtRecord",
    id: "spf",
    isOptional: false,
    label: "contoso.com",
    recordType: "Txt",
    supportedService: "Email",
    ttl: 3600,
    text: "v=spf1 include:spf.protection.outlook.com -all",
  },
  {
    "@odata.type": "#microsoft.graph.domainDnsCnameRecord",
    id: "autodiscover",
    isOptional: false,
    label: "autodiscover.contoso.com",
    recordType: "CName",
    supportedService: "Email",
    ttl: 3600,
    canonicalName: "autodiscover.outlook.com",
  },
  {
    "@odata.type": "#microsoft.graph.domainDnsSrvRecord",
    id: "sip",
    isOptional: false,
    label: "contoso.com",
    recordType: "Srv",
    supportedService: "OfficeCommunicationsOnline",
    ttl: 3600,
    nameTarget: "sipdir.online.lync.com",
    port: 443,
    priority: 100,
    protocol: "_tls",
    service: "_sip",
    weight: 1,
  },
];

function sampleDirectory(): DirectoryTenant {
  const directory = syntheticTenant(2026, { users: 340, groups: 24, memberships: 900 });
  // Nested groups: each department group is a member of an all-staff group, and one of another.
  const groups = directory.groups.map((group) => group.id);
  for (const nested of groups.slice(1, 8)) directory.members.get(groups[0]!)!.push(nested);
  directory.members.get(groups[8]!)!.push(groups[9]!);
  const names = ["All Staff", "Sales", "Marketing", "Finance", "Engineering", "Support", "Legal", "HR", "Projects", "Project Apollo"];
  names.forEach((name, i) => (directory.groups[i]!.displayName = name));
  // The manual procedure's leftovers: the worker, and an admin given Global Administrator "for now".
  putUser(directory, {
    id: "99999999-0000-4000-8000-000000000001",
    userPrincipalName: "RetainWorker@contoso.com",
    displayName: "RetainWorker",
    mail: "RetainWorker@contoso.com",
    mailNickname: "RetainWorker",
    proxyAddresses: ["SMTP:RetainWorker@contoso.com"],
    userType: "Member",
    accountEnabled: true,
  });
  putUser(directory, {
    id: "99999999-0000-4000-8000-000000000002",
    userPrincipalName: "retain-sync@contoso.com",
    displayName: "Retain Directory Sync",
    mail: null,
    mailNickname: "retain-sync",
    proxyAddresses: [],
    userType: "Member",
    accountEnabled: true,
  });
  directory.roleAssignments.push({
    id: "leftover-global-admin",
    principalId: "99999999-0000-4000-8000-000000000002",
    roleDefinitionId: GLOBAL_ADMINISTRATOR_TEMPLATE,
    directoryScopeId: "/",
  });
  return directory;
}

/** Exchange's mailbox for every member user with mail (Exchange Online Plan 2), keyed by user principal name and tied to the user's object id. */
function sampleExchange(directory: DirectoryTenant): ExchangeState {
  const exchange = exchangeState(TENANT_ID);
  exchange.users = ["RetainWorker@contoso.com"];
  for (const user of directory.users.filter((u) => u.mail && u.userType === "Member")) {
    exchange.mailboxes[String(user.userPrincipalName)] = { EwsEnabled: null, ExternalDirectoryObjectId: user.id, exchangePlans: [EXCHANGE_PLAN_2] };
  }
  // What the deploy will meet in the department Retain archives: one mailbox with EWS turned off
  // (Set-CASMailbox -EwsEnabled $false), one whose only licence is F3 (the Kiosk plan, no EWS).
  const [, ewsOff, kiosk] = departmentMailboxes(directory, exchange);
  exchange.mailboxes[ewsOff!]!.EwsEnabled = false;
  exchange.mailboxes[kiosk!]!.exchangePlans = [EXCHANGE_KIOSK_PLAN];
  exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: TEAMS_CALENDAR_APP };
  exchange.roles.push("ApplicationImpersonation");
  exchange.assignments.push({
    Name: "Retain impersonation",
    Role: "ApplicationImpersonation",
    RoleAssignee: "RetainWorker",
    RoleAssigneeName: "RetainWorker",
    RoleAssignmentDelegationType: "Regular",
  });
  return exchange;
}

/** Starts Entra + Graph + Exchange (one emulator, as one Microsoft cloud) and Cloudflare on loopback. */
export async function startSampleTenant(): Promise<SampleTenant> {
  const secrets = {
    cloudflareToken: "demo-cloudflare-token".padEnd(40, "0"),
    deployerId: DEPLOYER_ID,
    deployerSecret: "demo-deployer-secret",
    retainAppSecret: "demo-retain-app-secret",
  };
  const directory = sampleDirectory();
  const exchange = sampleExchange(directory);
  const entra = entraApps();
  const graph = await startGraphEmulator({
    token: "demo-token",
    clients: { [DEPLOYER_ID]: secrets.deployerSecret, [RETAIN_APP_ID]: secrets.retainAppSecret },
    routes: [
      (request, emulator) =>
        request.path === "/domains/contoso.com/serviceConfigurationRecords"
          ? pagedCollection(emulator, request.path, request.query, serviceRecords, 100)
          : undefined,
      // Before the directory's routes: app registrations, and users by licence plan.
      entraRoutes(entra, () => exchange),
      directoryRoutes(directory),
    ],
    adminApi: exchangeRoutes(exchange),
    ews: ewsRoute(exchange),
  });
  const cloudflare = await startCloudflareEmulator({ token: secrets.cloudflareToken, zones: { [ZONE_ID]: "contoso.com" } });
  cloudflare.seed(ZONE_ID, { type: "MX", name: "contoso.com", content: "mx1.mailgateway.example", priority: 10, ttl: 3600 });
  cloudflare.seed(ZONE_ID, { type: "TXT", name: "contoso.com", content: '"v=spf1 include:_spf.mailgateway.example ~all"', ttl: 3600 });
  cloudflare.seed(ZONE_ID, { type: "CNAME", name: "autodiscover.contoso.com", content: "autodiscover.outlook.com", proxied: false, ttl: 3600 });
  return {
    graph,
    cloudflare,
    directory,
    exchange,
    entra,
    secrets,
    close: async () => {
      await Promise.all([graph.close(), cloudflare.close()]);
    },
  };
}

/** A day in the tenant: one hire, one leaver. Returns what changed, in words. */
export function aDayOfChanges(directory: DirectoryTenant): string {
  const sales = directory.groups[1]!;
  putUser(directory, {
    id: "99999999-0000-4000-8000-00000000a001",
    userPrincipalName: "new.hire@contoso.com",
    displayName: "New Hire",
    mail: "new.hire@contoso.com",
    mailNickname: "new.hire",
    proxyAddresses: ["SMTP:new.hire@contoso.com"],
    userType: "Member",
    accountEnabled: true,
  });
  setMember(directory, sales.id, "99999999-0000-4000-8000-00000000a001", true);
  const leaver = directory.users.find((user) => user.mail && user.accountEnabled === true && user.id !== "99999999-0000-4000-8000-000000000001")!;
  removeUser(directory, leaver.id);
  return `new.hire@contoso.com joins ${String(sales.displayName)}, ${String(leaver.mail)} leaves`;
}

/** The mailboxes of the archived department's direct members, in the directory's order. */
function departmentMailboxes(directory: DirectoryTenant, exchange: ExchangeState): string[] {
  const department = directory.groups.find((group) => group.displayName === ARCHIVED_DEPARTMENT)!;
  const members = new Set(directory.members.get(department.id));
  return directory.users
    .filter((user) => members.has(user.id) && String(user.userPrincipalName) in exchange.mailboxes)
    .map((user) => String(user.userPrincipalName));
}

/** What the deploy left for Retain to archive: the scope group and the mailboxes in it. */
export interface DeployedRetain {
  department: string;
  scopeGroup: string;
  inScope: string[];
}

/**
 * What `pulumi up` of demo/Pulumi.contoso.yaml leaves in the tenant (after the MX decision), made
 * with the cmdlets its providers run, then the admin's part: the archived department's mailboxes
 * put in the scope group.
 */
export function deployRetain(tenant: SampleTenant): DeployedRetain {
  const { entra, exchange, directory } = tenant;
  // Entra: Retain's app registration, its service principal, the directory sync's two Graph permissions.
  const retain = registerApp(entra, APP_DISPLAY_NAME, RETAIN_APP_ID);
  for (const permission of ["User.Read.All", "GroupMember.Read.All"]) grantApplicationPermission(entra, retain, GRAPH_RESOURCE_APP_ID, permission);
  // Exchange, in the providers' order: the app's service principal, the scope group and its scope,
  // the role assignment scoped to it, Retain's app id added to the allow list (already in force).
  invokeCmdlet(exchange, "New-ServicePrincipal", { AppId: RETAIN_APP_ID, ObjectId: retain.id, DisplayName: APP_DISPLAY_NAME });
  const group = invokeCmdlet(exchange, "New-DistributionGroup", { Name: SCOPE_GROUP, Type: "Security" });
  const scope = `${SCOPE_GROUP} (Retain)`;
  invokeCmdlet(exchange, "New-ManagementScope", { Name: scope, RecipientRestrictionFilter: `MemberOfGroup -eq '${String(group.DistinguishedName)}'` });
  invokeCmdlet(exchange, "New-ManagementRoleAssignment", {
    Name: "Retain Application EWS.AccessAsApp",
    Role: "Application EWS.AccessAsApp",
    App: retain.id,
    CustomResourceScope: scope,
  });
  const allowed = [exchange.organization.EwsAllowedAppIDs, RETAIN_APP_ID].filter(Boolean).join(",");
  invokeCmdlet(exchange, "Set-OrganizationConfig", { EwsAllowedAppIDs: allowed });
  // The admin's part (Add-DistributionGroupMember, which the emulator has no cmdlet for): the department's mailboxes.
  const inScope = departmentMailboxes(directory, exchange);
  exchange.groups.find((g) => g.Name === SCOPE_GROUP)!.Members = [...inScope];
  return { department: ARCHIVED_DEPARTMENT, scopeGroup: SCOPE_GROUP, inScope };
}

/**
 * Two mailboxes for `verify --access`, chosen when it runs: one in scope that EWS lets through
 * (EWS on, not Kiosk-only) and one outside the scope, each of a user still enabled in the directory.
 */
export function accessCheckMailboxes(tenant: SampleTenant, deployed: DeployedRetain): { inside: string; outside: string } {
  const { exchange, directory } = tenant;
  const enabled = new Set(directory.users.filter((user) => user.accountEnabled === true).map((user) => String(user.userPrincipalName)));
  const reachable = (address: string) =>
    enabled.has(address) && exchange.mailboxes[address]!.EwsEnabled !== false && !exchange.mailboxes[address]!.exchangePlans?.includes(EXCHANGE_KIOSK_PLAN);
  const inside = deployed.inScope.find(reachable);
  const outside = Object.keys(exchange.mailboxes).find(
    (address) => !deployed.inScope.includes(address) && reachable(address) && address !== "RetainWorker@contoso.com",
  );
  if (!inside || !outside) throw new Error("the sample tenant has no mailbox to check access with");
  return { inside, outside };
}
