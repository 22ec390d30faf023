import { graphError, type EmulatorRequest, type EmulatorResponse, type GraphEmulator, type Route } from "./graph-emulator";

type Obj = Record<string, unknown> & { id: string };

/** A tenant's directory as Graph serves it to the sync. */
export interface DirectoryTenant {
  users: Obj[];
  groups: Obj[];
  /** Contacts, devices and other directory objects that can be group members. */
  others: (Obj & { "@odata.type": string })[];
  /** Group id → direct member ids. */
  members: Map<string, string[]>;
  /** Graph may return fewer objects than `$top` asks for. */
  maxPageSize: number;
  /** Resource-unit throttling per app and tenant, per 10 s window (Microsoft's identity limits). */
  throttle: boolean;
  /** 403 Authorization_RequestDenied until this time (permissions not yet effective after consent). */
  forbiddenUntil?: number;
  /** Every GET answers this late (to hold a sync in flight). */
  slowMs: number;
  /** Faults for the next `$batch` sub-requests, in order. */
  subRequestFaults: EmulatorResponse[];
  counters: { requests: number; subRequests: number; resourceUnits: number };
  window: { start: number; spent: number };
}

export function directoryTenant(parts: Partial<Pick<DirectoryTenant, "users" | "groups" | "others" | "members" | "maxPageSize" | "throttle">> = {}): DirectoryTenant {
  return {
    users: [],
    groups: [],
    others: [],
    members: new Map(),
    maxPageSize: 999,
    throttle: false,
    slowMs: 0,
    subRequestFaults: [],
    counters: { requests: 0, subRequests: 0, resourceUnits: 0 },
    window: { start: Date.now(), spent: 0 },
    ...parts,
  };
}

/** Microsoft's published limit for a tenant of this size: RU per app and tenant per 10 s. */
export function resourceUnitLimit(userCount: number): number {
  return userCount < 50 ? 3500 : userCount <= 500 ? 5000 : 8000;
}

/** GET users 2, group members 3, transitiveMembers 5, anything else 1; `$select` takes 1 off. */
export function resourceUnitCost(path: string, query: URLSearchParams): number {
  const base = /^\/users(\/|$)/.test(path) ? 2 : /\/transitiveMembers$/.test(path) ? 5 : /\/members$/.test(path) ? 3 : 1;
  return Math.max(1, base - (query.has("$select") ? 1 : 0));
}

const typeOf = (tenant: DirectoryTenant, id: string): string | undefined =>
  tenant.users.some((u) => u.id === id)
    ? "#microsoft.graph.user"
    : tenant.groups.some((g) => g.id === id)
      ? "#microsoft.graph.group"
      : tenant.others.find((o) => o.id === id)?.["@odata.type"];

function select(object: Obj, query: URLSearchParams, withType?: string): Record<string, unknown> {
  const fields = query.get("$select")?.split(",").map((f) => f.trim());
  const picked = fields ? Object.fromEntries(fields.filter((f) => f in object || f === "id").map((f) => [f, object[f] ?? null])) : { ...object };
  return withType ? { "@odata.type": withType, ...picked } : picked;
}

function transitive(tenant: DirectoryTenant, groupId: string): string[] {
  const seen = new Set<string>();
  const visit = (id: string) => {
    for (const member of tenant.members.get(id) ?? []) {
      if (seen.has(member)) continue;
      seen.add(member);
      if (tenant.groups.some((g) => g.id === member)) visit(member);
    }
  };
  visit(groupId);
  return [...seen];
}

/** One GET against the directory: collections, `$select`, `$top`, `$filter`, paging, throttling. */
function get(tenant: DirectoryTenant, emulator: GraphEmulator, path: string, query: URLSearchParams): EmulatorResponse {
  if (tenant.forbiddenUntil !== undefined && Date.now() < tenant.forbiddenUntil) {
    return graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  }
  if (tenant.throttle) {
    const now = Date.now();
    if (now - tenant.window.start >= 10_000) tenant.window = { start: now, spent: 0 };
    const cost = resourceUnitCost(path, query);
    if (tenant.window.spent + cost > resourceUnitLimit(tenant.users.length)) {
      const wait = Math.max(1, Math.ceil((tenant.window.start + 10_000 - now) / 1000));
      return { ...graphError(429, "TooManyRequests", "Too many requests."), headers: { "retry-after": String(wait) } };
    }
    tenant.window.spent += cost;
    tenant.counters.resourceUnits += cost;
  } else {
    tenant.counters.resourceUnits += resourceUnitCost(path, query);
  }

  const top = Number(query.get("$top") ?? "100");
  if (!Number.isInteger(top) || top < 1 || top > 999) return graphError(400, "Request_UnsupportedQuery", "Invalid page size specified: '" + query.get("$top") + "'. Must be between 1 and 999 inclusive.");
  let items: Record<string, unknown>[];
  if (path === "/users") {
    items = tenant.users.map((u) => select(u, query));
  } else if (path === "/groups") {
    const filter = query.get("$filter");
    if (filter !== null && filter !== "mailEnabled eq true") return graphError(400, "Request_UnsupportedQuery", `Unsupported query: ${filter}`);
    items = tenant.groups.filter((g) => filter === null || g.mailEnabled === true).map((g) => select(g, query));
  } else {
    const match = /^\/groups\/([^/]+)\/(members|transitiveMembers)$/.exec(path);
    if (!match) return graphError(404, "Request_ResourceNotFound", `Resource '${path}' does not exist.`);
    const groupId = decodeURIComponent(match[1]!);
    if (!tenant.groups.some((g) => g.id === groupId)) return graphError(404, "Request_ResourceNotFound", `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`);
    const ids = match[2] === "members" ? (tenant.members.get(groupId) ?? []) : transitive(tenant, groupId);
    items = ids.map((id) => {
      const object = tenant.users.find((u) => u.id === id) ?? tenant.groups.find((g) => g.id === id) ?? tenant.others.find((o) => o.id === id) ?? { id };
      return select(object, query, typeOf(tenant, id) ?? "#microsoft.graph.directoryObject");
    });
  }
  const size = Math.min(top, tenant.maxPageSize);
  const skip = Number(query.get("$skiptoken") ?? "0");
  const page = items.slice(skip, skip + size);
  let next: string | undefined;
  if (skip + size < items.length) {
    const nextQuery = new URLSearchParams(query);
    nextQuery.set("$skiptoken", String(skip + size));
    next = `${emulator.url}/v1.0${path}?${nextQuery.toString()}`;
  }
  return { status: 200, body: { "@odata.context": `${emulator.url}/v1.0/$metadata#${path.slice(1)}`, value: page, ...(next ? { "@odata.nextLink": next } : {}) } };
}

/** Graph's directory routes, `$batch` included: at most 20 sub-requests, each handled and throttled on its own. */
export function directoryRoutes(tenant: DirectoryTenant): Route {
  return (request: EmulatorRequest, emulator) => {
    tenant.counters.requests++;
    if (request.method === "GET") return { ...get(tenant, emulator, request.path, request.query), delayMs: tenant.slowMs || undefined };
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
      const answer = injected ?? (sub.method === "GET" ? get(tenant, emulator, url.pathname, url.searchParams) : graphError(405, "MethodNotAllowed", "Only GET is emulated in batches."));
      return { id: sub.id, status: answer.status, headers: { "content-type": "application/json", ...answer.headers }, body: answer.body };
    });
    return { status: 200, body: { responses } };
  };
}

/** A deterministic pseudo-random generator (mulberry32), so synthetic tenants are the same every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A synthetic tenant from a seed: users with mailboxes (a few guests and unmailed users), mail-enabled groups, memberships. */
export function syntheticTenant(seed: number, size: { users: number; groups: number; memberships: number }): DirectoryTenant {
  const random = seededRandom(seed);
  const hex = (n: number) => n.toString(16).padStart(12, "0");
  const users: Obj[] = Array.from({ length: size.users }, (_, i) => {
    const name = `user${i}`;
    const kind = random();
    const mail = kind < 0.02 ? null : `${name}@contoso.com`;
    return {
      id: `00000000-0000-4000-8000-${hex(i)}`,
      displayName: `User ${i}`,
      mail,
      mailNickname: name,
      userPrincipalName: `${name}@contoso.com`,
      proxyAddresses: mail ? [`SMTP:${mail}`, `smtp:${name}@contoso.onmicrosoft.com`] : [],
      userType: kind > 0.97 ? "Guest" : "Member",
      accountEnabled: kind < 0.9,
    };
  });
  const groups: Obj[] = Array.from({ length: size.groups }, (_, i) => ({
    id: `00000000-0000-4000-9000-${hex(i)}`,
    displayName: `Group ${i}`,
    mail: `group${i}@contoso.com`,
    mailNickname: `group${i}`,
    proxyAddresses: [`SMTP:group${i}@contoso.com`],
    mailEnabled: true,
  }));
  const members = new Map<string, string[]>(groups.map((g) => [g.id, []]));
  for (let m = 0; m < size.memberships && groups.length > 0 && users.length > 0; m++) {
    const group = groups[Math.floor(random() * groups.length)]!;
    members.get(group.id)!.push(users[Math.floor(random() * users.length)]!.id);
  }
  for (const [id, list] of members) members.set(id, [...new Set(list)]);
  return directoryTenant({ users, groups, members });
}
