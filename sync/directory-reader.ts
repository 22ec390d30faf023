import type { Client } from "@microsoft/microsoft-graph-client";
import { describeGraphFailure, forEachPage, graphRetryAfter, isTransient, withGraphRetry, type GraphFailure } from "../m365/graph-client";
import { DEFAULT_RETRY, retrying, type RetryPolicy } from "../core/retry";
import { runLimited } from "../core/run-limited";
import { Directory } from "./directory";
import { GROUP_FIELDS, USER_FIELDS, type DirectoryGroup, type DirectoryUser } from "./model";

export interface ReadOptions {
  /** Members of nested groups too (`/transitiveMembers`). */
  transitive: boolean;
  /** `$batch` requests in flight at once. */
  concurrency: number;
  retry: RetryPolicy;
  onProgress?: (progress: ReadProgress) => void;
}
export interface ReadProgress {
  users: number;
  groups: number;
  groupsWithMembers: number;
  memberships: number;
}

const BATCH_LIMIT = 20;

interface MemberRequest {
  groupId: string;
  /** Relative URL (`groups/{id}/members?…`): Graph rejects `/v1.0/…` inside a batch. */
  url: string;
}

type SubResponse = { id: string; status: number; headers?: Record<string, string>; body?: { value?: { id: string }[]; "@odata.nextLink"?: string } };

interface BatchResponse {
  responses?: SubResponse[];
}

export const DEFAULT_READ: ReadOptions = { transitive: false, concurrency: 4, retry: DEFAULT_RETRY };

/** Reads the users, the mail-enabled groups and their members. */
export async function readDirectory(client: Client, options: ReadOptions = DEFAULT_READ): Promise<Directory> {
  const directory = new Directory();
  const progress: ReadProgress = { users: 0, groups: 0, groupsWithMembers: 0, memberships: 0 };
  const report = () => options.onProgress?.({ ...progress });

  // Members are read as soon as the groups are known; the users' pages, which cost little, come in meanwhile.
  // Each page is packed into the directory as it arrives, so Graph's objects never pile up.
  const users = forEachPage<DirectoryUser>(client, `/users?$select=${USER_FIELDS.join(",")}&$top=999`, "reading users from Graph", options.retry, (page) => {
    for (const user of page) directory.putUser(user);
  }).then((count) => {
    progress.users = count;
    report();
  });
  // Each page of groups has its members read as soon as it arrives, one page after another.
  let membersRead = Promise.resolve();
  const groups = forEachPage<DirectoryGroup>(
    client,
    `/groups?$filter=mailEnabled eq true&$select=${GROUP_FIELDS.join(",")}&$top=999`,
    "reading groups from Graph",
    options.retry,
    (page) => {
      progress.groups += page.length;
      for (const group of page) directory.putGroup(group);
      const ids = page.map((group) => group.id);
      membersRead = membersRead.then(() => readMembers(client, directory, ids, options, { progress }));
      membersRead.catch(() => undefined); // awaited below; until then a failure must not count as unhandled
    },
  ).then(async () => {
    report();
    await membersRead;
  });
  await Promise.all([users, groups]);
  return directory;
}

export interface MemberReading {
  progress?: ReadProgress;
}

/**
 * Reads the members (direct or transitive) of the given groups into the directory, replacing what
 * it held, through `$batch` requests of 20. Sub-requests that failed transiently are tried again
 * together (`readBatch`); throttling is the pacer's alone (m365/graph-pacer.ts).
 */
export async function readMembers(
  client: Client,
  directory: Directory,
  groupIds: readonly string[],
  options: ReadOptions,
  reading: MemberReading = {},
): Promise<void> {
  const progress = reading.progress ?? { users: 0, groups: groupIds.length, groupsWithMembers: 0, memberships: 0 };
  const report = () => options.onProgress?.({ ...progress });
  for (const id of groupIds) directory.setMembers(id, []);
  const relation = options.transitive ? "transitiveMembers" : "members";
  // Each round asks for the next page of every group that has one.
  let pending: MemberRequest[] = groupIds.map((id) => ({ groupId: id, url: `groups/${id}/${relation}?$select=id&$top=999` }));
  while (pending.length > 0) {
    const next: MemberRequest[] = [];
    const batches: MemberRequest[][] = [];
    for (let i = 0; i < pending.length; i += BATCH_LIMIT) batches.push(pending.slice(i, i + BATCH_LIMIT));
    await runLimited(batches, options.concurrency, async (batch) => {
      for (const [request, response] of await readBatch(client, batch, options.retry)) {
        if (response.status === 404) {
          // The group was deleted while we read: it has no members to write.
          progress.groupsWithMembers++;
          continue;
        }
        const ids = (response.body?.value ?? []).map((member) => member.id);
        directory.addMembers(request.groupId, ids);
        progress.memberships += ids.length;
        const link = response.body?.["@odata.nextLink"];
        if (link) next.push({ groupId: request.groupId, url: relativeGraphUrl(link) });
        else progress.groupsWithMembers++;
      }
      report();
    });
    pending = next;
  }
}

/**
 * One `$batch` of member pages, tried per the policy (core/retry.ts): a try sends the requests
 * still without an answer, and another follows while some failed transiently. Sub-requests Graph
 * throttled (429) are sent again at once: the pacer, which saw their Retry-After, holds the next
 * `$batch` until it has passed. Returns each request's answer (2xx, or 404 for a deleted group).
 */
async function readBatch(client: Client, batch: readonly MemberRequest[], policy: RetryPolicy): Promise<Map<MemberRequest, SubResponse>> {
  const answered = new Map<MemberRequest, SubResponse>();
  const { outcome } = await retrying(
    async () => {
      const left = batch.filter((request) => !answered.has(request));
      const body = { requests: left.map((request, index) => ({ id: String(index), method: "GET", url: request.url })) };
      const answer = await withGraphRetry(
        "reading group members from Graph ($batch)",
        () => client.api("/$batch").post(body) as Promise<BatchResponse>,
        policy,
      );
      const failures: { request: MemberRequest; failure: GraphFailure }[] = [];
      for (const response of answer.responses ?? []) {
        const request = left[Number(response.id)];
        if (!request) continue;
        if ((response.status >= 200 && response.status < 300) || response.status === 404) {
          answered.set(request, response);
          continue;
        }
        const failure: GraphFailure = Object.assign(new Error(subResponseMessage(response)), { statusCode: response.status, headers: response.headers });
        if (!isTransient(failure)) throw describeGraphFailure(failure, `reading the members of group ${request.groupId} from Graph`);
        failures.push({ request, failure });
      }
      return failures;
    },
    {
      policy,
      retryable: (o) => o.ok && o.value.length > 0,
      // The longest wait any failure asks for; one without a Retry-After (a 5xx) takes the backoff.
      retryAfterOf: (o) => {
        const waits = o.ok ? o.value.map(({ failure }) => graphRetryAfter(failure)) : [];
        return waits.includes(undefined) ? undefined : String(Math.max(0, ...waits.map(Number)));
      },
    },
  );
  if (!outcome.ok) throw outcome.error;
  const [last] = outcome.value;
  if (last) throw describeGraphFailure(last.failure, `reading the members of group ${last.request.groupId} from Graph`);
  return answered;
}

/** `https://graph…/v1.0/groups/x/members?$skiptoken=…` → `groups/x/members?$skiptoken=…` for use inside a batch. */
export function relativeGraphUrl(link: string): string {
  const url = new URL(link);
  return `${url.pathname.replace(/^\/(v1\.0|beta)\//, "")}${url.search}`;
}

function subResponseMessage(response: { status: number; body?: unknown }): string {
  const error = (response.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return error ? `${error.code ?? "error"}: ${error.message ?? ""}` : `HTTP ${response.status}`;
}
