import { startCloudflareEmulator, type CloudflareEmulator } from "../emulators/cloudflare";
import { directoryRoutes } from "../emulators/directory";
import { putUser, removeUser, setMember, syntheticTenant, type DirectoryTenant } from "../emulators/directory-tenant";
import { exchangeRoutes, exchangeState, type ExchangeState } from "../emulators/exchange";
import { pagedCollection, startGraphEmulator, type GraphEmulator } from "../emulators/graph";

// The demo's tenant: Contoso already runs Microsoft 365 (mail behind a gateway, a few hundred
// users, nested groups) and has what the manual Retain procedure left behind. The ids and the
// domain are those of demo/Pulumi.contoso.yaml.

export const TENANT_ID = "3f2b6c1e-8d4a-4f7b-9a51-2c6e0d9b7a10";
export const ZONE_ID = "5c0e9b7a3d214f68a1e2b3c4d5e6f708";
/** Retain's app registration, as `pulumi up` would have made it; the sync signs in as it. */
export const RETAIN_APP_ID = "7d3e2a91-5b4c-4e8f-a6d2-0b1c9e8f7a65";
/** The identity an admin deploys (and runs `adopt`) with. */
const DEPLOYER_ID = "5a0c9e7d-3b2f-4d1a-8c6e-9f4b2a1d0e37";
const TEAMS_CALENDAR_APP = "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe";
const GLOBAL_ADMINISTRATOR_TEMPLATE = "62e90394-69f5-4237-9190-012177145e10";

export interface SampleTenant {
  graph: GraphEmulator;
  cloudflare: CloudflareEmulator;
  directory: DirectoryTenant;
  exchange: ExchangeState;
  /** What the admin's shell would hold: the credentials, only ever the emulators' own. */
  secrets: { cloudflareToken: string; deployerId: string; deployerSecret: string; retainAppSecret: string };
  close(): Promise<void>;
}

/** Microsoft's records for contoso.com, as Graph's `serviceConfigurationRecords` lists them. */
const serviceRecords = [
  { "@odata.type": "#microsoft.graph.domainDnsMxRecord", id: "mx", isOptional: false, label: "contoso.com", recordType: "Mx", supportedService: "Email", ttl: 3600, mailExchange: "contoso-com.mail.protection.outlook.com", preference: 0 },
  { "@odata.type": "#microsoft.graph.domainDnsTxtRecord", id: "spf", isOptional: false, label: "contoso.com", recordType: "Txt", supportedService: "Email", ttl: 3600, text: "v=spf1 include:spf.protection.outlook.com -all" },
  { "@odata.type": "#microsoft.graph.domainDnsCnameRecord", id: "autodiscover", isOptional: false, label: "autodiscover.contoso.com", recordType: "CName", supportedService: "Email", ttl: 3600, canonicalName: "autodiscover.outlook.com" },
  { "@odata.type": "#microsoft.graph.domainDnsSrvRecord", id: "sip", isOptional: false, label: "contoso.com", recordType: "Srv", supportedService: "OfficeCommunicationsOnline", ttl: 3600, nameTarget: "sipdir.online.lync.com", port: 443, priority: 100, protocol: "_tls", service: "_sip", weight: 1 },
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
  putUser(directory, { id: "99999999-0000-4000-8000-000000000001", userPrincipalName: "RetainWorker@contoso.com", displayName: "RetainWorker", mail: "RetainWorker@contoso.com", mailNickname: "RetainWorker", proxyAddresses: ["SMTP:RetainWorker@contoso.com"], userType: "Member", accountEnabled: true });
  putUser(directory, { id: "99999999-0000-4000-8000-000000000002", userPrincipalName: "retain-sync@contoso.com", displayName: "Retain Directory Sync", mail: null, mailNickname: "retain-sync", proxyAddresses: [], userType: "Member", accountEnabled: true });
  directory.roleAssignments.push({ id: "leftover-global-admin", principalId: "99999999-0000-4000-8000-000000000002", roleDefinitionId: GLOBAL_ADMINISTRATOR_TEMPLATE, directoryScopeId: "/" });
  return directory;
}

function sampleExchange(): ExchangeState {
  const exchange = exchangeState(TENANT_ID);
  exchange.users = ["RetainWorker@contoso.com"];
  exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: TEAMS_CALENDAR_APP };
  exchange.roles.push("ApplicationImpersonation");
  exchange.assignments.push({ Name: "Retain impersonation", Role: "ApplicationImpersonation", RoleAssignee: "RetainWorker", RoleAssigneeName: "RetainWorker", RoleAssignmentDelegationType: "Regular" });
  return exchange;
}

/** Starts Entra + Graph + Exchange (one emulator, as one Microsoft cloud) and Cloudflare on loopback. */
export async function startSampleTenant(): Promise<SampleTenant> {
  const secrets = { cloudflareToken: "demo-cloudflare-token".padEnd(40, "0"), deployerId: DEPLOYER_ID, deployerSecret: "demo-deployer-secret", retainAppSecret: "demo-retain-app-secret" };
  const directory = sampleDirectory();
  const exchange = sampleExchange();
  const graph = await startGraphEmulator({
    token: "demo-token",
    clients: { [DEPLOYER_ID]: secrets.deployerSecret, [RETAIN_APP_ID]: secrets.retainAppSecret },
    routes: [
      (request, emulator) =>
        request.path === "/domains/contoso.com/serviceConfigurationRecords" ? pagedCollection(emulator, request.path, request.query, serviceRecords, 100) : undefined,
      directoryRoutes(directory),
    ],
    adminApi: exchangeRoutes(exchange),
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
    secrets,
    close: async () => {
      await Promise.all([graph.close(), cloudflare.close()]);
    },
  };
}

/** A day in the tenant: one hire, one leaver. Returns what changed, in words. */
export function aDayOfChanges(directory: DirectoryTenant): string {
  const sales = directory.groups[1]!;
  putUser(directory, { id: "99999999-0000-4000-8000-00000000a001", userPrincipalName: "new.hire@contoso.com", displayName: "New Hire", mail: "new.hire@contoso.com", mailNickname: "new.hire", proxyAddresses: ["SMTP:new.hire@contoso.com"], userType: "Member", accountEnabled: true });
  setMember(directory, sales.id, "99999999-0000-4000-8000-00000000a001", true);
  const leaver = directory.users.find((user) => user.mail && user.accountEnabled === true && user.id !== "99999999-0000-4000-8000-000000000001")!;
  removeUser(directory, leaver.id);
  return `new.hire@contoso.com joins ${String(sales.displayName)}, ${String(leaver.mail)} leaves`;
}
