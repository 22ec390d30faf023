import type { EmulatorResponse } from "./graph";

// The emulated directory's data and how it changes; directory.ts serves it as Graph does.

/** A user, group or other directory object, with the fields Graph would return. */
export type DirectoryObject = Record<string, unknown> & { id: string };

/** A tenant's directory as Graph serves it to the sync. */
export interface DirectoryTenant {
  users: DirectoryObject[];
  groups: DirectoryObject[];
  /** Contacts, devices and other directory objects that can be group members. */
  others: (DirectoryObject & { "@odata.type": string })[];
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
  /** Network latency added to every request, `$batch` included (benchmarks). */
  latencyMs: number;
  /** Id → object and its @odata.type; rebuilt after a change. */
  index?: Map<string, { object: DirectoryObject; type: string }>;
  /** Directory role assignments (`unifiedRoleAssignment`): built-in roles by their template id. */
  roleAssignments: { id: string; principalId: string; roleDefinitionId: string; directoryScopeId: string }[];
  /** Faults for the next `$batch` sub-requests, in order. */
  subRequestFaults: EmulatorResponse[];
  /** `operations`: GETs and `$batch` sub-requests; `throttled`: those answered 429. */
  counters: { requests: number; subRequests: number; resourceUnits: number; operations: number; throttled: number };
  /** Resource units spent in the throttle's sliding window, oldest first. */
  window: { at: number; cost: number }[];
  /** Every change since the tenant was made, for delta queries; `seq` is the newest change's number. */
  changes: Change[];
  seq: number;
  /** Delta tokens older than this are expired (410 syncStateNotFound). */
  oldestValidToken: number;
}

type Change =
  | { seq: number; kind: "user"; id: string }
  | { seq: number; kind: "group"; id: string }
  | { seq: number; kind: "member"; id: string; member: string; removed: boolean };

export function directoryTenant(
  parts: Partial<Pick<DirectoryTenant, "users" | "groups" | "others" | "members" | "maxPageSize" | "throttle">> = {},
): DirectoryTenant {
  return {
    users: [],
    groups: [],
    others: [],
    members: new Map(),
    maxPageSize: 999,
    throttle: false,
    slowMs: 0,
    latencyMs: 0,
    subRequestFaults: [],
    roleAssignments: [],
    counters: { requests: 0, subRequests: 0, resourceUnits: 0, operations: 0, throttled: 0 },
    window: [],
    changes: [],
    seq: 0,
    oldestValidToken: 0,
    ...parts,
  };
}

/** Adds or replaces a user, as a change delta queries report. */
export function putUser(tenant: DirectoryTenant, user: DirectoryObject): void {
  tenant.index = undefined;
  const index = tenant.users.findIndex((u) => u.id === user.id);
  if (index >= 0) tenant.users[index] = user;
  else tenant.users.push(user);
  tenant.changes.push({ seq: ++tenant.seq, kind: "user", id: user.id });
}

export function removeUser(tenant: DirectoryTenant, id: string): void {
  tenant.index = undefined;
  tenant.users = tenant.users.filter((u) => u.id !== id);
  for (const [group, ids] of tenant.members) if (ids.includes(id)) setMember(tenant, group, id, false);
  tenant.changes.push({ seq: ++tenant.seq, kind: "user", id });
}

export function putGroup(tenant: DirectoryTenant, group: DirectoryObject): void {
  tenant.index = undefined;
  const index = tenant.groups.findIndex((g) => g.id === group.id);
  if (index >= 0) tenant.groups[index] = group;
  else tenant.groups.push(group);
  if (!tenant.members.has(group.id)) tenant.members.set(group.id, []);
  tenant.changes.push({ seq: ++tenant.seq, kind: "group", id: group.id });
}

export function removeGroup(tenant: DirectoryTenant, id: string): void {
  tenant.index = undefined;
  tenant.groups = tenant.groups.filter((g) => g.id !== id);
  tenant.members.delete(id);
  for (const [group, ids] of tenant.members) if (ids.includes(id)) setMember(tenant, group, id, false);
  tenant.changes.push({ seq: ++tenant.seq, kind: "group", id });
}

/** Adds (`present`) or removes a direct member. */
export function setMember(tenant: DirectoryTenant, group: string, member: string, present: boolean): void {
  const ids = tenant.members.get(group) ?? [];
  tenant.members.set(group, present ? [...new Set([...ids, member])] : ids.filter((id) => id !== member));
  tenant.changes.push({ seq: ++tenant.seq, kind: "member", id: group, member, removed: !present });
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
  const users: DirectoryObject[] = Array.from({ length: size.users }, (_, i) => {
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
  const groups: DirectoryObject[] = Array.from({ length: size.groups }, (_, i) => ({
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
