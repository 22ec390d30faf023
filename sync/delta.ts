import type { Client } from "@microsoft/microsoft-graph-client";
import { withGraphRetry } from "../m365/graph-client";
import type { RetryPolicy } from "../core/retry";
import type { DeltaLinks } from "./delta-state";
import { readMembers, type ReadOptions } from "./directory-reader";
import type { Directory } from "./directory";
import { GROUP_FIELDS, USER_FIELDS, type DirectoryGroup, type DirectoryUser } from "./model";

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

/** Every entry of a delta round, and the link for the next round; EXPIRED when Graph lost the state. */
async function followDelta(
  client: Client,
  link: string,
  what: string,
  retry: RetryPolicy,
): Promise<{ entries: DeltaEntry[]; deltaLink: string } | typeof EXPIRED> {
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

/** What changed since the saved links: both delta rounds, and the links of the next. */
export interface DeltaRounds {
  users: DeltaEntry[];
  groups: DeltaEntry[];
  links: DeltaLinks;
}

/** Follows both delta rounds from the saved links; undefined when Graph lost the state (a full read follows). */
export async function readDeltaRounds(client: Client, saved: DeltaLinks, retry: RetryPolicy): Promise<DeltaRounds | undefined> {
  const [userRound, groupRound] = await Promise.all([
    followDelta(client, saved.usersDeltaLink, "reading user changes from Graph", retry),
    followDelta(client, saved.groupsDeltaLink, "reading group changes from Graph", retry),
  ]);
  if (userRound === EXPIRED || groupRound === EXPIRED) return undefined;
  return { users: userRound.entries, groups: groupRound.entries, links: { usersDeltaLink: userRound.deltaLink, groupsDeltaLink: groupRound.deltaLink } };
}

/**
 * Applies what changed since the saved state to its directory: users replaced or removed by id,
 * groups merged by id (one group may come in several entries), membership edits applied; a group
 * that is new or became mail-enabled has its members read in full.
 */
export async function applyDelta(client: Client, directory: Directory, rounds: DeltaRounds, options: ReadOptions): Promise<void> {
  for (const entry of rounds.users) {
    if (entry["@removed"]) directory.remove(entry.id);
    else directory.putUser({ ...directory.user(entry.id), ...fieldsOf(entry) } as DirectoryUser);
  }

  const readInFull = new Set<string>();
  for (const entry of rounds.groups) {
    const tracked = directory.group(entry.id);
    const merged = entry["@removed"] ? undefined : ({ ...tracked, ...fieldsOf(entry) } as DirectoryGroup);
    if (merged?.mailEnabled !== true) {
      // Deleted, or no longer mail-enabled: not in the groups file.
      directory.remove(entry.id);
      readInFull.delete(entry.id);
      continue;
    }
    if (!tracked) readInFull.add(entry.id);
    directory.putGroup(merged);
    if (readInFull.has(entry.id)) continue;
    const list = new Set(directory.memberIds(entry.id));
    for (const change of (entry["members@delta"] as DeltaEntry[] | undefined) ?? []) {
      if (change["@removed"]) list.delete(change.id);
      else list.add(change.id);
    }
    directory.setMembers(entry.id, list);
  }
  if (readInFull.size > 0) await readMembers(client, directory, [...readInFull], options);
}
