import { createHash } from "node:crypto";
import { directoryObjectIdOf, type ExchangeState } from "./exchange";
import { graphError, type EmulatorRequest, type EmulatorResponse, type GraphEmulator, type Route } from "./graph";

// What `retain-m365 readiness` reads from Graph: app registrations, service principals with their
// app roles, the application permissions granted to a service principal, and users by licence
// plan. The users come from the Exchange state's mailboxes (their `exchangePlans`): one truth for
// what Exchange lets a mailbox use and what Graph says its licences are.

type Obj = Record<string, unknown>;

export interface AppRole {
  id: string;
  value: string;
  allowedMemberTypes: string[];
  displayName: string;
}
export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  appRoles: AppRole[];
}
export interface AppRoleAssignment {
  id: string;
  appRoleId: string;
  principalId: string;
  principalDisplayName: string;
  principalType: "ServicePrincipal";
  resourceId: string;
  resourceDisplayName: string;
  createdDateTime: string;
}

/** A tenant's app registrations and service principals, and the application permissions granted. */
export interface EntraApps {
  applications: { id: string; appId: string; displayName: string }[];
  servicePrincipals: ServicePrincipal[];
  appRoleAssignments: AppRoleAssignment[];
  /** Path prefixes answered 403 Authorization_RequestDenied: the caller lacks the permission to read them. */
  forbidden: string[];
  /** Added to every answer (benchmarks). */
  latencyMs: number;
}

export const GRAPH_RESOURCE_APP_ID = "00000003-0000-0000-c000-000000000000";
export const EXCHANGE_RESOURCE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";

/**
 * App role ids here are derived from the role's name, NOT Microsoft's real ids: code that
 * hard-codes a role id instead of resolving it against the resource's `appRoles` fails here.
 */
const idFrom = (seed: string) => {
  const hex = createHash("sha1").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};
const roles = (resource: string, values: string[]): AppRole[] =>
  values.map((value) => ({ id: idFrom(`${resource}:${value}`), value, allowedMemberTypes: ["Application"], displayName: value }));

/** Every tenant has Microsoft Graph's and Exchange Online's service principals, with (some of) their application permissions. */
export function entraApps(): EntraApps {
  return {
    applications: [],
    servicePrincipals: [
      {
        id: idFrom("sp:graph"),
        appId: GRAPH_RESOURCE_APP_ID,
        displayName: "Microsoft Graph",
        appRoles: roles("graph", [
          "User.Read.All",
          "GroupMember.Read.All",
          "Application.Read.All",
          "Mail.Read",
          "Mail.ReadBasic",
          "Mail.ReadBasic.All",
          "Mail.ReadWrite",
          "Mail.Send",
          "MailboxSettings.Read",
          "Calendars.Read",
          "Contacts.Read",
          // The mailbox import/export API's application permissions (Graph permissions reference;
          // "mailbox: exportItems": MailboxItem.Export.All least privileged, ImportExport.All higher).
          "MailboxFolder.Read.All",
          "MailboxItem.Read.All",
          "MailboxItem.Export.All",
          "MailboxItem.ImportExport.All",
        ]),
      },
      {
        id: idFrom("sp:exchange"),
        appId: EXCHANGE_RESOURCE_APP_ID,
        displayName: "Office 365 Exchange Online",
        appRoles: roles("exchange", ["full_access_as_app", "Exchange.ManageAsApp", "Mail.Read", "Calendars.Read"]),
      },
    ],
    appRoleAssignments: [],
    forbidden: [],
    latencyMs: 0,
  };
}

/** An app registration with its service principal, as a deploy makes them. */
export function registerApp(state: EntraApps, displayName: string, appId: string): ServicePrincipal {
  state.applications.push({ id: idFrom(`app:${appId}`), appId, displayName });
  const servicePrincipal = { id: idFrom(`sp:${appId}`), appId, displayName, appRoles: [] };
  state.servicePrincipals.push(servicePrincipal);
  return servicePrincipal;
}

/** An application permission of `resourceAppId` granted (admin consent) to the service principal `principal`. */
export function grantApplicationPermission(state: EntraApps, principal: ServicePrincipal, resourceAppId: string, value: string): void {
  const resource = state.servicePrincipals.find((sp) => sp.appId === resourceAppId);
  const role = resource?.appRoles.find((r) => r.value === value);
  if (!resource || !role) throw new Error(`emulator: ${resourceAppId} has no application permission ${value}`);
  state.appRoleAssignments.push({
    // Graph's assignment ids are opaque base64 strings, not GUIDs ("List appRoleAssignments granted to a service principal").
    id: Buffer.from(`${principal.id}:${role.id}`).toString("base64url").slice(0, 43),
    appRoleId: role.id,
    principalId: principal.id,
    principalDisplayName: principal.displayName,
    principalType: "ServicePrincipal",
    resourceId: resource.id,
    resourceDisplayName: resource.displayName,
    createdDateTime: "2026-11-02T09:14:00Z",
  });
}

/** Graph's routes for readiness; `exchange` gives the current Exchange state (its mailboxes are the users). */
export function entraRoutes(state: EntraApps, exchange: () => ExchangeState): Route {
  return (request, emulator) => {
    if (request.method !== "GET") return undefined;
    const response = answer(state, exchange(), request, emulator);
    if (!response) return undefined;
    const refused = state.forbidden.some((prefix) => request.path.startsWith(prefix));
    const final = refused ? graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.") : response;
    return state.latencyMs ? { ...final, delayMs: state.latencyMs } : final;
  };
}

function answer(state: EntraApps, exchange: ExchangeState, request: EmulatorRequest, emulator: GraphEmulator): EmulatorResponse | undefined {
  const { path, query } = request;
  if (path === "/applications") return listed(state.applications, query);
  if (path === "/servicePrincipals") return listed(state.servicePrincipals, query);
  const single = /^\/servicePrincipals\/([^/]+)(\/appRoleAssignments)?$/.exec(path);
  if (single) {
    const servicePrincipal = state.servicePrincipals.find((sp) => sp.id === decodeURIComponent(single[1]!));
    if (!servicePrincipal)
      return graphError(
        404,
        "Request_ResourceNotFound",
        `Resource '${single[1]}' does not exist or one of its queried reference-property objects are not present.`,
      );
    if (!single[2]) return { status: 200, body: select(servicePrincipal as unknown as Obj, query) };
    return {
      status: 200,
      body: { value: state.appRoleAssignments.filter((a) => a.principalId === servicePrincipal.id).map((a) => select(a as unknown as Obj, query)) },
    };
  }
  if (path === "/users" && /assignedPlans/i.test(query.get("$filter") ?? "")) return usersByPlan(exchange, emulator, query);
  return undefined;
}

/**
 * `$filter=<property> eq '<value>'` on displayName or appId (Graph's "List applications" and "List
 * servicePrincipals" document both); a quote inside the value is doubled, as OData writes it.
 * Compared without regard to case, as the directory compares strings. Other filters are refused.
 */
function listed(items: readonly object[], query: URLSearchParams): EmulatorResponse {
  const filter = query.get("$filter");
  let matching = items as Obj[];
  if (filter !== null) {
    const clause = /^\s*(displayName|appId)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(filter);
    if (!clause) return graphError(400, "Request_UnsupportedQuery", `emulator: unsupported filter ${filter}`);
    const wanted = clause[2]!.replace(/''/g, "'").toLowerCase();
    matching = matching.filter((item) => String(item[clause[1]!] ?? "").toLowerCase() === wanted);
  }
  return { status: 200, body: { value: matching.map((item) => select(item, query)) } };
}

function select(object: Obj, query: URLSearchParams): Obj {
  const fields = query
    .get("$select")
    ?.split(",")
    .map((f) => f.trim());
  return fields ? Object.fromEntries(fields.filter((f) => f in object).map((f) => [f, object[f]])) : { ...object };
}

/** A plan that is not Exchange's, as every licensed user has some (Teams): a reader must look at `service`. */
const TEAMS_PLAN = { capabilityStatus: "Enabled", service: "TeamspaceAPI", servicePlanId: "57ff2da0-773e-42df-b2af-ffb7a2317929" };

/**
 * `GET /users?$filter=assignedPlans/any(p:p/servicePlanId eq <guid>)`: the user resource documents
 * assignedPlans as "Returned only on $select. Supports $filter (eq and not)", and the advanced
 * query tables list `eq` on it as working without ConsistencyLevel. Users are the Exchange state's
 * mailboxes whose `exchangePlans` hold the plan; their id is the mailbox's ExternalDirectoryObjectId.
 * `$top` 1–999 (default 100), paged with `@odata.nextLink` keeping the query.
 */
function usersByPlan(exchange: ExchangeState, emulator: GraphEmulator, query: URLSearchParams): EmulatorResponse {
  const filter = query.get("$filter") ?? "";
  const clause = /^assignedPlans\/any\((\w+):\s*\1\/servicePlanId\s+eq\s+([0-9a-fA-F-]{36})\)$/.exec(filter.trim());
  if (!clause) return graphError(400, "Request_UnsupportedQuery", `emulator: unsupported filter ${filter}`);
  const top = Number(query.get("$top") ?? "100");
  if (!Number.isInteger(top) || top < 1 || top > 999)
    return graphError(400, "Request_UnsupportedQuery", `Invalid page size specified: '${query.get("$top")}'. Must be between 1 and 999 inclusive.`);
  const plan = clause[2]!.toLowerCase();
  const holders = Object.entries(exchange.mailboxes).filter(([, m]) => (m.exchangePlans ?? []).some((id) => id.toLowerCase() === plan));
  const skip = Number(query.get("$skiptoken") ?? "0");
  const selected = query
    .get("$select")
    ?.split(",")
    .map((f) => f.trim());
  const page = holders.slice(skip, skip + top).map(([address, mailbox]) => {
    const user: Obj = {
      id: directoryObjectIdOf(address, mailbox),
      userPrincipalName: address,
      displayName: address.slice(0, address.indexOf("@")),
      mail: address,
      assignedPlans: [
        ...(mailbox.exchangePlans ?? []).map((servicePlanId) => ({
          assignedDateTime: "2026-01-05T08:00:00Z",
          capabilityStatus: "Enabled",
          service: "exchange",
          servicePlanId,
        })),
        TEAMS_PLAN,
      ],
    };
    return selected
      ? Object.fromEntries(selected.filter((f) => f in user).map((f) => [f, user[f]]))
      : { id: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName, mail: user.mail };
  });
  let next: string | undefined;
  if (skip + top < holders.length) {
    const nextQuery = new URLSearchParams(query);
    nextQuery.set("$skiptoken", String(skip + top));
    next = `${emulator.url}/v1.0/users?${nextQuery.toString()}`;
  }
  return { status: 200, body: { value: page, ...(next ? { "@odata.nextLink": next } : {}) } };
}
