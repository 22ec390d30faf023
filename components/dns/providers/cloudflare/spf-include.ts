import * as pulumi from "@pulumi/pulumi";
import { createDnsRecord, deleteDnsRecord, listDnsRecords, updateDnsRecord, type CloudflareTarget } from "../../../../cloudflare/dns-api";
import { CLOUDFLARE_API_BASE } from "../../../../m365/clouds";
import { checkedEndpoint } from "../../../../m365/endpoints";
import { MICROSOFT_SPF_INCLUDE } from "../../../../m365/spf";
import { requiredInputFailures, type InputFailure } from "../../../provider-inputs";
import { hasMicrosoftInclude, isBareSpfRecord, leadsToMicrosoft, isSpfRecord, planSpfInclude, withoutMicrosoftInclude, type TxtRecord } from "../../spf";

// Microsoft's include in the domain's ONE SPF record, which the organisation shares with its other
// senders (a mail gateway, a newsletter service): read, merged, written, read back — never a
// second `v=spf1` record, and on delete only what this resource added is taken out again.
//
// The Cloudflare API token: the `apiToken` input (a secret, kept encrypted in the state) when the
// program passes one, else CLOUDFLARE_API_TOKEN from the environment of `pulumi up`. A delete
// prefers CLOUDFLARE_API_TOKEN when set, so a destroy after the token was rotated still works.
// The token never appears in a message, and a new token alone changes nothing.

export interface SpfIncludeInputs {
  zoneId: string;
  /** The SPF record's name, the domain itself. */
  name: string;
  /** Always TXT: the record this resource creates where the zone has no SPF record. */
  type: "TXT";
  /** That record's value (Graph's, or Microsoft's `v=spf1 include:spf.protection.outlook.com -all`). */
  content: string;
  ttl: number;
  proxied: false;
  /** Cloudflare API base URL; the emulator's in tests. */
  endpoint: string;
  apiToken?: string;
}

export interface SpfIncludeState extends SpfIncludeInputs {
  /** The Cloudflare id of the SPF record edited (or created). */
  recordId: string;
  /** This resource created the record: a delete may delete it once nothing else is in it. */
  createdRecord: boolean;
  /** The include was there before: a delete leaves it. */
  includedBefore: boolean;
  /** Whether the include was in the record when last read; false after a refresh means someone took it out. */
  present: boolean;
}

/** Attempts at a read-merge-write before giving up on a record that keeps changing under us. */
const WRITE_ATTEMPTS = 5;
const COMMENT = "Managed by retain-m365 (SPF include)";

function targetOf(inputs: Pick<SpfIncludeInputs, "endpoint" | "apiToken">, preferEnvironment = false): CloudflareTarget {
  const fromEnvironment = process.env.CLOUDFLARE_API_TOKEN;
  const token = (preferEnvironment ? fromEnvironment || inputs.apiToken : inputs.apiToken || fromEnvironment) ?? "";
  if (!token)
    throw new Error(
      "no Cloudflare API token for the SPF record: the deployment passed none and CLOUDFLARE_API_TOKEN is not set; the SPF record was not changed",
    );
  return { endpoint: checkedEndpoint(inputs.endpoint, "cloudflare", "the Cloudflare endpoint"), token };
}

async function txtRecordsAt(target: CloudflareTarget, zoneId: string, name: string): Promise<TxtRecord[]> {
  return (await listDnsRecords(target, zoneId, { type: "TXT", name })).map((record) => ({ id: record.id, content: record.content }));
}

const spfOf = (records: readonly TxtRecord[]) => records.filter((record) => isSpfRecord(record.content));
const sameRecords = (a: readonly TxtRecord[], b: readonly TxtRecord[]) => JSON.stringify(spfOf(a)) === JSON.stringify(spfOf(b));

type Placed = Pick<SpfIncludeState, "recordId" | "createdRecord" | "includedBefore">;

/**
 * Reads the TXT records at the name and adds the include to the one SPF record (creating it where
 * there is none). Cloudflare has no conditional write, so the records are read again just before
 * the write, and a change since the first read starts over instead of being overwritten.
 */
async function ensureIncluded(inputs: SpfIncludeInputs): Promise<Placed> {
  const target = targetOf(inputs);
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    const before = await txtRecordsAt(target, inputs.zoneId, inputs.name);
    const change = planSpfInclude(inputs.name, before, inputs.content);
    if (change.action === "conflict") throw new Error(change.detail);
    if (change.action === "none") return { recordId: change.recordId, createdRecord: false, includedBefore: true };
    if (!sameRecords(before, await txtRecordsAt(target, inputs.zoneId, inputs.name))) continue;
    if (change.action === "create") {
      const created = await createDnsRecord(target, inputs.zoneId, {
        type: "TXT",
        name: inputs.name,
        content: change.content,
        ttl: inputs.ttl,
        proxied: false,
        comment: COMMENT,
      });
      const after = spfOf(await txtRecordsAt(target, inputs.zoneId, inputs.name));
      if (after.length === 1) return { recordId: created.id, createdRecord: true, includedBefore: false };
      // Someone created an SPF record at the same time: take ours back out and merge into theirs.
      await deleteDnsRecord(target, inputs.zoneId, created.id);
      continue;
    }
    await updateDnsRecord(target, inputs.zoneId, change.recordId, { type: "TXT", content: change.content });
    const after = (await txtRecordsAt(target, inputs.zoneId, inputs.name)).find((record) => record.id === change.recordId);
    if (after && hasMicrosoftInclude(after.content)) return { recordId: change.recordId, createdRecord: false, includedBefore: false };
  }
  throw new Error(
    `the SPF record at ${inputs.name} changed on every one of ${WRITE_ATTEMPTS} attempts to add ${MICROSOFT_SPF_INCLUDE}; someone else is editing it — try again later`,
  );
}

/** Takes out the include this resource added; deletes the record only if it created it and nothing else is in it. */
async function removeIncluded(state: SpfIncludeState): Promise<void> {
  if (state.includedBefore) return;
  const target = targetOf(state, true);
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    const before = await txtRecordsAt(target, state.zoneId, state.name);
    const spf = spfOf(before);
    const record = spf.find((candidate) => candidate.id === state.recordId) ?? (spf.length === 1 ? spf[0] : undefined);
    if (!record || !hasMicrosoftInclude(record.content)) return;
    if (!sameRecords(before, await txtRecordsAt(target, state.zoneId, state.name))) continue;
    const remaining = withoutMicrosoftInclude(record.content);
    if (state.createdRecord && record.id === state.recordId && isBareSpfRecord(remaining)) await deleteDnsRecord(target, state.zoneId, record.id);
    else await updateDnsRecord(target, state.zoneId, record.id, { type: "TXT", content: remaining });
    const after = (await txtRecordsAt(target, state.zoneId, state.name)).find((candidate) => candidate.id === record.id);
    if (!after || !hasMicrosoftInclude(after.content)) return;
  }
  throw new Error(
    `the SPF record at ${state.name} changed on every one of ${WRITE_ATTEMPTS} attempts to remove ${MICROSOFT_SPF_INCLUDE}; someone else is editing it — try again later`,
  );
}

/**
 * The engine's marker for a value a preview does not know yet (Graph's SPF value, say). Taken out of
 * the SDK once, so that the serialized provider holds this string, not `pulumi`: in esbuild's output
 * (tsx in the tests, the repository CLI's bundle that `plan` runs) that namespace is a copy Pulumi
 * cannot find in node_modules, so it serialized the SDK's runtime whole.
 */
const UNKNOWN: unknown = pulumi.runtime.unknownValue;

function inputFailures(news: SpfIncludeInputs): InputFailure[] {
  const failures = requiredInputFailures(news, ["zoneId", "name", "content", "endpoint"], ["endpoint"]);
  const content = news.content === UNKNOWN ? undefined : news.content;
  if (typeof content === "string" && content && !isSpfRecord(content)) failures.push({ property: "content", reason: "must be an SPF record (v=spf1 …)" });
  if (typeof content === "string" && isSpfRecord(content) && !hasMicrosoftInclude(content))
    failures.push({ property: "content", reason: `must include ${MICROSOFT_SPF_INCLUDE}` });
  return failures;
}

export const spfIncludeProvider: pulumi.dynamic.ResourceProvider<SpfIncludeInputs, SpfIncludeState> = {
  async check(_olds, news) {
    return { inputs: news, failures: inputFailures(news) };
  },
  async create(inputs) {
    const placed = await ensureIncluded(inputs);
    return { id: `${inputs.zoneId}/${inputs.name}`, outs: { ...inputs, ...placed, present: true } };
  },
  async read(id, props) {
    const state = props as SpfIncludeState;
    const records = spfOf(await txtRecordsAt(targetOf(state), state.zoneId, state.name));
    const record = records.find((candidate) => candidate.id === state.recordId) ?? (records.length === 1 ? records[0] : undefined);
    return {
      id,
      props: { ...state, recordId: record?.id ?? state.recordId, present: records.length === 1 && record !== undefined && leadsToMicrosoft(record.content) },
    };
  },
  async diff(_id, olds, news) {
    const replaces = (["zoneId", "name"] as const).filter((key) => olds[key] !== news[key]);
    const changed = (["content", "ttl", "endpoint"] as const).some((key) => olds[key] !== news[key]) || olds.present === false;
    return { changes: replaces.length > 0 || changed, replaces, deleteBeforeReplace: false };
  },
  async update(_id, olds, news) {
    const placed = await ensureIncluded(news);
    // The first deployment's knowledge of what was there before stays: it decides what a delete removes.
    const sameRecord = placed.recordId === olds.recordId;
    return {
      outs: {
        ...news,
        ...placed,
        createdRecord: sameRecord ? olds.createdRecord : placed.createdRecord,
        includedBefore: sameRecord ? olds.includedBefore : placed.includedBefore,
        present: true,
      },
    };
  },
  async delete(_id, props) {
    await removeIncluded(props);
  },
};

export interface SpfIncludeArgs {
  zoneId: pulumi.Input<string>;
  name: pulumi.Input<string>;
  content: pulumi.Input<string>;
  ttl: pulumi.Input<number>;
  /** A secret; without it the provider reads CLOUDFLARE_API_TOKEN. */
  apiToken?: pulumi.Input<string>;
  endpoint?: pulumi.Input<string>;
}

/** Microsoft's include merged into a domain's one SPF record: a dynamic resource, type `pulumi-nodejs:dynamic/dns:SpfInclude`. */
export class SpfInclude extends pulumi.dynamic.Resource {
  constructor(name: string, args: SpfIncludeArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      spfIncludeProvider,
      name,
      {
        ...args,
        type: "TXT",
        proxied: false,
        endpoint: args.endpoint ?? CLOUDFLARE_API_BASE,
        apiToken: args.apiToken === undefined ? undefined : pulumi.secret(args.apiToken),
      },
      { ...opts, additionalSecretOutputs: ["apiToken"] },
      "dns",
      "SpfInclude",
    );
  }
}
