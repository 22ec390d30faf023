import assert from "node:assert/strict";
import type { Client } from "@microsoft/microsoft-graph-client";
import { describe, it } from "node:test";
import { ExitCode, UserFacingError } from "../../core/errors";
import { DEFAULT_READ, readMembers } from "../../sync/directory-reader";
import { Directory } from "../../sync/directory";
import { recordingClock } from "../support/retry-clock";

// The members reader against canned `$batch` answers (no pacer here): what it retries, and that
// throttling is left to the pacer (m365/graph-pacer.ts), which holds the next request itself.

type SubAnswer = { status: number; headers?: Record<string, string>; body?: unknown };
const page = (...ids: string[]): SubAnswer => ({ status: 200, body: { value: ids.map((id) => ({ id })) } });
const graphError = (status: number, code: string, headers?: Record<string, string>): SubAnswer => ({
  status,
  headers,
  body: { error: { code, message: `${code}.` } },
});

/** A Graph client whose `$batch` answers each sub-request with the next of its group's answers; the URLs asked for are kept. */
function batchClient(answers: Record<string, SubAnswer[]>): { client: Client; asked: string[][] } {
  const asked: string[][] = [];
  const post = async (body: { requests: { id: string; url: string }[] }) => {
    asked.push(body.requests.map((r) => r.url));
    const responses = body.requests.map((r) => ({ id: r.id, ...answers[/^groups\/([^/]+)\//.exec(r.url)![1]!]!.shift()! }));
    return { responses };
  };
  return { client: { api: () => ({ post }) } as unknown as Client, asked };
}

const read = async (client: Client, groups: string[], clock = recordingClock()) => {
  const directory = new Directory();
  await readMembers(client, directory, groups, { ...DEFAULT_READ, retry: { ...DEFAULT_READ.retry, clock } });
  return { directory, clock };
};

describe("reading group members in $batch requests", () => {
  it("sends a throttled sub-request again without waiting itself: the pacer holds the next request until Retry-After has passed", async () => {
    const { client, asked } = batchClient({ g1: [page("u1")], g2: [graphError(429, "TooManyRequests", { "Retry-After": "30" }), page("u2")] });
    const { directory, clock } = await read(client, ["g1", "g2"]);
    assert.deepEqual([directory.memberIds("g1"), directory.memberIds("g2")], [["u1"], ["u2"]]);
    assert.deepEqual(asked, [["groups/g1/members?$select=id&$top=999", "groups/g2/members?$select=id&$top=999"], ["groups/g2/members?$select=id&$top=999"]]);
    assert.deepEqual(clock.waits, [0], "no Retry-After waited here");
  });

  it("waits a 5xx's Retry-After (or backs off) before sending what failed again", async () => {
    const { client, asked } = batchClient({
      g1: [graphError(503, "ServiceUnavailable", { "retry-after": "2" }), graphError(500, "InternalServerError"), page("u1")],
    });
    const { directory, clock } = await read(client, ["g1"]);
    assert.deepEqual(directory.memberIds("g1"), ["u1"]);
    assert.equal(asked.length, 3);
    assert.equal(clock.waits[0], 2000);
    assert.ok(clock.waits[1]! >= 1000 && clock.waits[1]! <= 2000, `backoff of the second try: ${clock.waits[1]} ms`);
  });

  it("gives up after the policy's tries with exit 4 naming the group; a refusal at once with exit 3", async () => {
    const down = batchClient({ g1: Array.from({ length: 10 }, () => graphError(503, "ServiceUnavailable")) });
    await assert.rejects(read(down.client, ["g1"]), (error: unknown) => {
      assert.ok(error instanceof UserFacingError);
      assert.equal(error.exitCode, ExitCode.remoteService);
      assert.equal(error.message, "reading the members of group g1 from Graph failed with HTTP 503: ServiceUnavailable: ServiceUnavailable.");
      return true;
    });
    assert.equal(down.asked.length, DEFAULT_READ.retry.maxAttempts);

    const refused = batchClient({ g1: [graphError(403, "Authorization_RequestDenied")] });
    await assert.rejects(read(refused.client, ["g1"]), (error: unknown) => error instanceof UserFacingError && error.exitCode === ExitCode.auth);
    assert.equal(refused.asked.length, 1);
  });
});
