import { closeSync, constants, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import type { Client } from "@microsoft/microsoft-graph-client";
import { withGraphRetry, type RetryPolicy } from "../lib/graph/client";
import { BACKUP_DIR } from "./output";
import { readMembers, type ReadOptions } from "./directory-reader";
import { GROUP_FIELDS, USER_FIELDS, type DirectoryGroup, type DirectorySnapshot, type DirectoryUser } from "./model";

export const STATE_FILE = path.join(BACKUP_DIR, "state", "delta.json");

export interface DeltaLinks {
  usersDeltaLink: string;
  groupsDeltaLink: string;
}

/** Kept beside the backups after each successful run: where to resume, and what the directory looked like. */
interface DeltaState extends DeltaLinks {
  version: 1;
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  members: [string, string[]][];
}

type DeltaEntry = Record<string, unknown> & { id: string };
const EXPIRED = Symbol("delta state expired");

/** Starting points for the next run, taken before a full read so that nothing changed meanwhile is missed. */
export async function latestDeltaLinks(client: Client, retry: RetryPolicy): Promise<DeltaLinks> {
  const link = async (url: string, what: string) => {
    const page = await withGraphRetry(what, () => client.api(url).get() as Promise<{ "@odata.deltaLink"?: string }>, retry);
    if (!page["@odata.deltaLink"]) throw new Error(`Graph gave no deltaLink for ${url}`);
    return page["@odata.deltaLink"];
  };
  const [usersDeltaLink, groupsDeltaLink] = await Promise.all([
    link(`/users/delta?$deltatoken=latest&$select=${USER_FIELDS.join(",")}`, "starting the users delta"),
    link(`/groups/delta?$deltatoken=latest&$select=${[...GROUP_FIELDS, "members"].join(",")}`, "starting the groups delta"),
  ]);
  return { usersDeltaLink, groupsDeltaLink };
}

export function loadDeltaState(outDir: string): DeltaState | undefined {
  const file = path.join(outDir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as DeltaState;
    return state.version === 1 && typeof state.usersDeltaLink === "string" && Array.isArray(state.users) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Written like the CSVs: a temp file, flushed, renamed. */
export function saveDeltaState(outDir: string, links: DeltaLinks, snapshot: DirectorySnapshot): void {
  const file = path.join(outDir, STATE_FILE);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o640);
    try {
      fchmodSync(fd, 0o640);
      // Written piece by piece: one JSON string of a large tenant's snapshot would cost more memory than the sync itself.
      const writeList = (items: Iterable<unknown>) => {
        let chunk: string[] = [];
        let first = true;
        const flush = () => {
          if (chunk.length > 0) writeSync(fd, (first ? "" : ",") + chunk.join(","));
          first &&= chunk.length === 0;
          chunk = [];
        };
        writeSync(fd, "[");
        for (const item of items) {
          chunk.push(JSON.stringify(item));
          if (chunk.length === 1000) flush();
        }
        flush();
        writeSync(fd, "]");
      };
      writeSync(fd, `{"version":1,"usersDeltaLink":${JSON.stringify(links.usersDeltaLink)},"groupsDeltaLink":${JSON.stringify(links.groupsDeltaLink)},"users":`);
      writeList(snapshot.users);
      writeSync(fd, `,"groups":`);
      writeList(snapshot.groups);
      writeSync(fd, `,"members":`);
      writeList(snapshot.members);
      writeSync(fd, "}");
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Every entry of a delta round, and the link for the next round; EXPIRED when Graph lost the state. */
async function followDelta(client: Client, link: string, what: string, retry: RetryPolicy): Promise<{ entries: DeltaEntry[]; deltaLink: string } | typeof EXPIRED> {
  const entries: DeltaEntry[] = [];
  let next = link;
  for (;;) {
    const url = next;
    const page = await withGraphRetry(
      what,
      async () => {
        try {
          return (await client.api(url).get()) as { value?: DeltaEntry[]; "@odata.nextLink"?: string; "@odata.deltaLink"?: string };
        } catch (error) {
          const { statusCode, code } = error as { statusCode?: number; code?: string };
          if (statusCode === 410 || code === "syncStateNotFound" || code === "resyncRequired") return EXPIRED;
          throw error;
        }
      },
      retry,
    );
    if (page === EXPIRED) return EXPIRED;
    entries.push(...(page.value ?? []));
    if (page["@odata.deltaLink"]) return { entries, deltaLink: page["@odata.deltaLink"] };
    if (!page["@odata.nextLink"]) throw new Error(`Graph ended a delta round of ${what} without a deltaLink`);
    next = page["@odata.nextLink"];
  }
}

const fieldsOf = (entry: DeltaEntry) => Object.fromEntries(Object.entries(entry).filter(([key]) => !key.startsWith("@") && !key.includes("@")));

/**
 * Applies what changed since the saved state: users replaced or removed by id, groups merged by
 * id (one group may come in several entries), membership edits applied; a group that is new or
 * became mail-enabled has its members read in full. Undefined when the delta state has expired.
 */
export async function applyDelta(client: Client, outDir: string, options: ReadOptions): Promise<{ snapshot: DirectorySnapshot; links: DeltaLinks } | undefined> {
  const state = loadDeltaState(outDir);
  if (!state) return undefined;
  const [userRound, groupRound] = await Promise.all([
    followDelta(client, state.usersDeltaLink, "reading user changes from Graph", options.retry),
    followDelta(client, state.groupsDeltaLink, "reading group changes from Graph", options.retry),
  ]);
  if (userRound === EXPIRED || groupRound === EXPIRED) return undefined;

  const users = new Map(state.users.map((u) => [u.id, u]));
  for (const entry of userRound.entries) {
    if (entry["@removed"]) users.delete(entry.id);
    else users.set(entry.id, { ...users.get(entry.id), ...fieldsOf(entry) } as DirectoryUser);
  }

  const groups = new Map(state.groups.map((g) => [g.id, g]));
  const members = new Map(state.members);
  const readInFull = new Set<string>();
  for (const entry of groupRound.entries) {
    if (entry["@removed"]) {
      groups.delete(entry.id);
      members.delete(entry.id);
      readInFull.delete(entry.id);
      continue;
    }
    const tracked = groups.get(entry.id);
    const merged = { ...tracked, ...fieldsOf(entry) } as DirectoryGroup;
    if (!tracked && merged.mailEnabled === true) readInFull.add(entry.id);
    if (merged.mailEnabled !== true) {
      groups.delete(entry.id);
      members.delete(entry.id);
      readInFull.delete(entry.id);
      continue;
    }
    groups.set(entry.id, merged);
    if (readInFull.has(entry.id)) continue;
    const list = new Set(members.get(entry.id) ?? []);
    for (const change of (entry["members@delta"] as DeltaEntry[] | undefined) ?? []) {
      if (change["@removed"]) list.delete(change.id);
      else list.add(change.id);
    }
    members.set(entry.id, [...list]);
  }
  if (readInFull.size > 0) {
    for (const [id, ids] of await readMembers(client, [...readInFull], options)) members.set(id, ids);
  }
  return {
    snapshot: { users: [...users.values()], groups: [...groups.values()], members },
    links: { usersDeltaLink: userRound.deltaLink, groupsDeltaLink: groupRound.deltaLink },
  };
}
