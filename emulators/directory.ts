import { graphError, type EmulatorRequest, type EmulatorResponse, type GraphEmulator, type Route } from "./graph";
import type { DirectoryObject, DirectoryTenant } from "./directory-tenant";

// How Graph serves a directory to the sync: collections, paging, delta, `$batch` and resource-unit throttling.

/** Microsoft's published limit for a tenant of this size: RU per app and tenant per 10 s. */
export function resourceUnitLimit(userCount: number): number {
  return userCount < 50 ? 3500 : userCount <= 500 ? 5000 : 8000;
}

/** GET users 2, group members 3, transitiveMembers 5, anything else 1; `$select` takes 1 off. */
export function resourceUnitCost(path: string, query: URLSearchParams): number {
  const base = /^\/users(\/|$)/.test(path) ? 2 : /\/transitiveMembers$/.test(path) ? 5 : /\/members$/.test(path) ? 3 : 1;
  return Math.max(1, base - (query.has("$select") ? 1 : 0));
}

function indexOf(tenant: DirectoryTenant): Map<string, { object: DirectoryObject; type: string }> {
  if (!tenant.index) {
    tenant.index = new Map();
    for (const o of tenant.others) tenant.index.set(o.id, { object: o, type: o["@odata.type"] });
    for (const g of tenant.groups) tenant.index.set(g.id, { object: g, type: "#microsoft.graph.group" });
    for (const u of tenant.users) tenant.index.set(u.id, { object: u, type: "#microsoft.graph.user" });
  }
  return tenant.index;
}
const typeOf = (tenant: DirectoryTenant, id: string): string | undefined => indexOf(tenant).get(id)?.type;
const isGroup = (tenant: DirectoryTenant, id: string) => typeOf(tenant, id) === "#microsoft.graph.group";

function select(object: DirectoryObject, query: URLSearchParams, withType?: string): Record<string, unknown> {
  const fields = query
    .get("$select")
    ?.split(",")
    .map((f) => f.trim());
  const picked = fields ? Object.fromEntries(fields.filter((f) => f in object || f === "id").map((f) => [f, object[f] ?? null])) : { ...object };
  return withType ? { "@odata.type": withType, ...picked } : picked;
}

function transitive(tenant: DirectoryTenant, groupId: string): string[] {
  const seen = new Set<string>();
  const visit = (id: string) => {
    for (const member of tenant.members.get(id) ?? []) {
      if (seen.has(member)) continue;
      seen.add(member);
      if (isGroup(tenant, member)) visit(member);
    }
  };
  visit(groupId);
  return [...seen];
}

/**
 * Microsoft's identity throttle ("Microsoft Graph service-specific throttling limits", identity
 * and access): resource units per app and tenant over a window of 10 seconds. Microsoft does not
 * say the window tumbles, so it slides here: a request is refused while the units spent in the 10
 * seconds before it, plus its own, exceed the limit. Every answer carries its cost in
 * `x-ms-resource-unit`; past 80 % of the limit Graph adds `x-ms-throttle-limit-percentage` (a
 * fraction, 0.8 to 1.8); a 429 carries `Retry-After` in whole seconds (rounded up: the units
 * spent longest ago must have left the window) and `x-ms-throttle-scope`.
 */
function spend(tenant: DirectoryTenant, cost: number): EmulatorResponse | Record<string, string> {
  const now = Date.now();
  const limit = resourceUnitLimit(tenant.users.length);
  if (!tenant.throttle) {
    tenant.counters.resourceUnits += cost;
    return { "x-ms-resource-unit": String(cost) };
  }
  while (tenant.window.length > 0 && tenant.window[0]!.at <= now - 10_000) tenant.window.shift();
  let spent = tenant.window.reduce((sum, entry) => sum + entry.cost, 0);
  if (spent + cost > limit) {
    let freedAt = now;
    for (const entry of tenant.window) {
      if (spent + cost <= limit) break;
      spent -= entry.cost;
      freedAt = entry.at + 10_000;
    }
    const headers = {
      "retry-after": String(Math.max(1, Math.ceil((freedAt - now) / 1000))),
      "x-ms-throttle-scope": "Tenant_Application/ReadWrite",
      "x-ms-throttle-information": "ResourceUnitLimitExceeded",
    };
    return { ...graphError(429, "TooManyRequests", "Too many requests."), headers };
  }
  tenant.window.push({ at: now, cost });
  tenant.counters.resourceUnits += cost;
  const used = (spent + cost) / limit;
  return { "x-ms-resource-unit": String(cost), ...(used > 0.8 ? { "x-ms-throttle-limit-percentage": used.toFixed(2) } : {}) };
}

/** One GET against the directory: collections, `$select`, `$top`, `$filter`, paging, throttling. */
function get(tenant: DirectoryTenant, emulator: GraphEmulator, path: string, query: URLSearchParams): EmulatorResponse {
  if (tenant.forbiddenUntil !== undefined && Date.now() < tenant.forbiddenUntil) {
    return graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  }
  tenant.counters.operations++;
  const spent = spend(tenant, resourceUnitCost(path, query));
  if ("status" in spent) {
    tenant.counters.throttled++;
    return spent as EmulatorResponse;
  }
  const answer = serve(tenant, emulator, path, query);
  return answer.status < 400 ? { ...answer, headers: { ...answer.headers, ...spent } } : answer;
}

function serve(tenant: DirectoryTenant, emulator: GraphEmulator, path: string, query: URLSearchParams): EmulatorResponse {
  if (path === "/users/delta" || path === "/groups/delta") return delta(tenant, emulator, path, query);
  if (path === "/roleManagement/directory/roleAssignments") return roleAssignments(tenant, query);
  const single = /^\/users\/([^/]+)$/.exec(path);
  if (single) return oneUser(tenant, decodeURIComponent(single[1]!), query);
  const top = Number(query.get("$top") ?? "100");
  if (!Number.isInteger(top) || top < 1 || top > 999)
    return graphError(400, "Request_UnsupportedQuery", "Invalid page size specified: '" + query.get("$top") + "'. Must be between 1 and 999 inclusive.");
  // Each page's objects are selected once the page is cut, so a page costs the same whatever the tenant's size.
  let items: readonly unknown[];
  let selected: (item: unknown) => Record<string, unknown>;
  if (path === "/users") {
    items = tenant.users;
    selected = (u) => select(u as DirectoryObject, query);
  } else if (path === "/groups") {
    const filter = query.get("$filter");
    if (filter !== null && filter !== "mailEnabled eq true") return graphError(400, "Request_UnsupportedQuery", `Unsupported query: ${filter}`);
    items = tenant.groups.filter((g) => filter === null || g.mailEnabled === true);
    selected = (g) => select(g as DirectoryObject, query);
  } else {
    const match = /^\/groups\/([^/]+)\/(members|transitiveMembers)$/.exec(path);
    if (!match) return graphError(404, "Request_ResourceNotFound", `Resource '${path}' does not exist.`);
    const groupId = decodeURIComponent(match[1]!);
    if (!isGroup(tenant, groupId))
      return graphError(
        404,
        "Request_ResourceNotFound",
        `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
      );
    items = match[2] === "members" ? (tenant.members.get(groupId) ?? []) : transitive(tenant, groupId);
    selected = (id) => {
      const found = indexOf(tenant).get(id as string);
      return select(found?.object ?? { id: id as string }, query, found?.type ?? "#microsoft.graph.directoryObject");
    };
  }
  const size = Math.min(top, tenant.maxPageSize);
  const skip = Number(query.get("$skiptoken") ?? "0");
  const page = items.slice(skip, skip + size).map(selected);
  let next: string | undefined;
  if (skip + size < items.length) {
    const nextQuery = new URLSearchParams(query);
    nextQuery.set("$skiptoken", String(skip + size));
    next = `${emulator.url}/v1.0${path}?${nextQuery.toString()}`;
  }
  return {
    status: 200,
    body: { "@odata.context": `${emulator.url}/v1.0/$metadata#${path.slice(1)}`, value: page, ...(next ? { "@odata.nextLink": next } : {}) },
  };
}

/**
 * `GET /roleManagement/directory/roleAssignments`: `$filter` with `eq` on principalId,
 * roleDefinitionId and directoryScopeId, joined by `and` (Microsoft's unifiedRoleAssignment
 * resource: each "Supports $filter (eq, in)"; a built-in role's roleDefinitionId is its template
 * id). Without a directoryScopeId condition every scope comes back: `/` (the tenant) and
 * `/administrativeUnits/{id}` alike. Other filters are refused here.
 */
function roleAssignments(tenant: DirectoryTenant, query: URLSearchParams): EmulatorResponse {
  const conditions = (query.get("$filter") ?? "").split(/\s+and\s+/i).filter(Boolean);
  const wanted: Partial<Record<"principalId" | "roleDefinitionId" | "directoryScopeId", string>> = {};
  for (const condition of conditions) {
    const match = /^(principalId|roleDefinitionId|directoryScopeId)\s+eq\s+'([^']*)'$/.exec(condition.trim());
    if (!match) return graphError(400, "BadRequest", `Invalid filter clause: ${condition}`);
    wanted[match[1] as keyof typeof wanted] = match[2]!;
  }
  const value = tenant.roleAssignments.filter((a) => Object.entries(wanted).every(([key, v]) => a[key as keyof typeof wanted] === v));
  return { status: 200, body: { value } };
}

/** `GET /users/{id | userPrincipalName}` (Graph's "Get user"); a user principal name matches in any letter case. */
function oneUser(tenant: DirectoryTenant, key: string, query: URLSearchParams): EmulatorResponse {
  const user = tenant.users.find((u) => u.id === key || String(u.userPrincipalName ?? "").toLowerCase() === key.toLowerCase());
  if (!user)
    return graphError(404, "Request_ResourceNotFound", `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
  return { status: 200, body: select(user, query) };
}

/**
 * `/users/delta` and `/groups/delta`: `$deltatoken=latest` gives a deltaLink and no data; a token
 * gives what changed since, paged, ending with a new deltaLink. Removed objects carry `@removed`;
 * groups carry `members@delta`, and a group with many member changes appears in several entries.
 */
function delta(tenant: DirectoryTenant, emulator: GraphEmulator, path: string, query: URLSearchParams): EmulatorResponse {
  const link = (params: Record<string, string>) => {
    const q = new URLSearchParams(query);
    q.delete("$deltatoken");
    q.delete("$skiptoken");
    for (const [k, v] of Object.entries(params)) q.set(k, v);
    return `${emulator.url}/v1.0${path}?${q.toString()}`;
  };
  const token = query.get("$deltatoken");
  const skip = query.get("$skiptoken");
  if (token === "latest") return { status: 200, body: { value: [], "@odata.deltaLink": link({ $deltatoken: String(tenant.seq) }) } };
  const [since, offset, until] = skip ? skip.split(":").map(Number) : [Number(token ?? "0"), 0, tenant.seq];
  if (since === undefined || offset === undefined || until === undefined || !Number.isInteger(since))
    return graphError(400, "BadRequest", "Invalid delta token.");
  if (since < tenant.oldestValidToken)
    return graphError(410, "syncStateNotFound", "The sync state generation is not found. The delta token is expired or invalid.");

  const changed = tenant.changes.filter((c) => c.seq > since && c.seq <= until);
  const entries: Record<string, unknown>[] = [];
  if (path === "/users/delta") {
    for (const id of [...new Set(changed.filter((c) => c.kind === "user").map((c) => c.id))]) {
      const user = tenant.users.find((u) => u.id === id);
      entries.push(user ? select(user, query) : { id, "@removed": { reason: "deleted" } });
    }
  } else {
    const groupIds = [...new Set(changed.filter((c) => c.kind !== "user").map((c) => c.id))];
    for (const id of groupIds) {
      const group = tenant.groups.find((g) => g.id === id);
      if (!group) {
        entries.push({ id, "@removed": { reason: "deleted" } });
        continue;
      }
      const last = new Map<string, boolean>();
      for (const c of changed) if (c.kind === "member" && c.id === id) last.set(c.member, c.removed);
      const memberChanges = [...last].map(([member, removed]) => ({
        "@odata.type": typeOf(tenant, member) ?? "#microsoft.graph.directoryObject",
        id: member,
        ...(removed ? { "@removed": { reason: "deleted" } } : {}),
      }));
      const fields = select(
        group,
        new URLSearchParams({
          $select: (query.get("$select") ?? "")
            .split(",")
            .filter((f) => f !== "members")
            .join(","),
        }),
      );
      if (memberChanges.length === 0) entries.push(fields);
      for (let i = 0; i < memberChanges.length; i += 2) entries.push({ ...fields, "members@delta": memberChanges.slice(i, i + 2) });
    }
  }
  const size = Math.min(tenant.maxPageSize, 200);
  const page = entries.slice(offset, offset + size);
  const more = offset + size < entries.length;
  return {
    status: 200,
    body: {
      value: page,
      ...(more
        ? { "@odata.nextLink": link({ $skiptoken: `${since}:${offset + size}:${until}` }) }
        : { "@odata.deltaLink": link({ $deltatoken: String(until) }) }),
    },
  };
}

/** Graph's directory routes, `$batch` included: at most 20 sub-requests, each handled and throttled on its own. */
export function directoryRoutes(tenant: DirectoryTenant): Route {
  return (request: EmulatorRequest, emulator) => {
    tenant.counters.requests++;
    const late = (response: EmulatorResponse | undefined) =>
      response && tenant.latencyMs ? { ...response, delayMs: (response.delayMs ?? 0) + tenant.latencyMs } : response;
    if (request.method === "GET") return late({ ...get(tenant, emulator, request.path, request.query), delayMs: tenant.slowMs || undefined });
    if (request.method !== "POST" || request.path !== "/$batch") return undefined;
    const requests = (request.body as { requests?: { id: string; method: string; url: string }[] } | undefined)?.requests;
    if (!Array.isArray(requests)) return graphError(400, "BadRequest", "Invalid batch payload format.");
    if (requests.length > 20) return graphError(400, "BadRequest", "Number of batch request steps exceeds the maximum of 20.");
    const responses = requests.map((sub) => {
      tenant.counters.subRequests++;
      if (/^(https?:|\/?v1\.0\/)/.test(sub.url)) {
        return { id: sub.id, status: 400, body: graphError(400, "BadRequest", "Resource not found for the segment 'v1.0'.").body };
      }
      const injected = tenant.subRequestFaults.shift();
      const url = new URL(`/${sub.url.replace(/^\//, "")}`, "https://graph.invalid");
      const answer =
        injected ??
        (sub.method === "GET"
          ? get(tenant, emulator, url.pathname, url.searchParams)
          : graphError(405, "MethodNotAllowed", "Only GET is emulated in batches."));
      return { id: sub.id, status: answer.status, headers: { "content-type": "application/json", ...answer.headers }, body: answer.body };
    });
    return late({ status: 200, body: { responses } });
  };
}
