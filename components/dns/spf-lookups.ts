import type * as Dns from "node:dns";
import { MICROSOFT_SPF_DOMAIN, MICROSOFT_SPF_INCLUDE, MICROSOFT_SPF_MIN_LOOKUPS, SPF_LOOKUP_LIMIT } from "../../m365/spf";
import { isSpfRecord, leadsToMicrosoft, spfText, withMicrosoftInclude } from "./spf";

// SPF's 10-lookup limit (RFC 7208 §4.6.4): "the "include", "a", "mx", "ptr", and "exists"
// mechanisms as well as the "redirect" modifier" count, recursively through every record an
// include or redirect leads to; past 10 the check is a permerror, so all of the domain's mail fails
// SPF. `all`, `ip4`, `ip6` and `exp=` do not count. A redirect is ignored when the record has an
// `all` mechanism (§6.1), so it is then neither counted nor followed. Kept free of Pulumi and zod.

/** A name's TXT records, each as its strings joined; undefined when the name could not be resolved. */
export type TxtLookup = (name: string) => Promise<string[] | undefined>;

/** The DNS lookups a record costs, as far as DNS could be followed. */
export interface SpfLookupCount {
  count: number;
  /** Some include or redirect could not be followed (unresolvable, no SPF record, a macro): `count` is a lower bound. */
  lowerBound: boolean;
  /** What could not be followed, one short phrase each (`include:x (not resolvable)`). */
  unfollowed: string[];
  /** Evaluation reaches Microsoft's record (`spf.protection.outlook.com`) through an include or an effective redirect. */
  reachesMicrosoft: boolean;
}

/** Counting stops a little past the limit: enough to say "over", and an include loop ends. */
const STOP_AT = SPF_LOOKUP_LIMIT + 2;

const COUNTED = new Set(["include", "a", "mx", "ptr", "exists"]);
const host = (name: string) => name.toLowerCase().replace(/\.$/, "");

function termsOf(record: string): string[] {
  return spfText(record).split(/\s+/).filter(Boolean).slice(1);
}

/**
 * The DNS lookups an SPF record costs, following includes and an effective redirect through
 * `lookup` (none: nothing is followed, and the count is a lower bound). Microsoft's include costs
 * at least {@link MICROSOFT_SPF_MIN_LOOKUPS} even where DNS cannot be asked.
 */
export async function countSpfLookups(record: string, lookup: TxtLookup | undefined): Promise<SpfLookupCount> {
  const result: SpfLookupCount = { count: 0, lowerBound: false, unfollowed: [], reachesMicrosoft: false };
  await walk(record, lookup, result);
  return result;
}

async function walk(record: string, lookup: TxtLookup | undefined, result: SpfLookupCount): Promise<void> {
  const terms = termsOf(record);
  const hasAll = terms.some((term) => /^[+\-~?]?all$/i.test(term));
  for (const term of terms) {
    if (result.count >= STOP_AT) return;
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(term);
    if (modifier) {
      // §6.1: redirect is ignored when the record has an `all` mechanism; `exp=` costs nothing (§4.6.4).
      if (modifier[1]!.toLowerCase() === "redirect" && !hasAll) {
        result.count++;
        await follow(`redirect=${modifier[2]!}`, modifier[2]!, lookup, result);
      }
      continue;
    }
    const mechanism = /^[+\-~?]?([a-z0-9]+)(?:[:/](.*))?$/i.exec(term);
    const name = mechanism?.[1]?.toLowerCase() ?? "";
    if (!COUNTED.has(name)) continue;
    result.count++;
    if (name === "include") await follow(term.replace(/^[+\-~?]/, ""), mechanism?.[2] ?? "", lookup, result);
  }
}

async function follow(term: string, target: string, lookup: TxtLookup | undefined, result: SpfLookupCount): Promise<void> {
  const microsoft = host(target) === MICROSOFT_SPF_DOMAIN;
  if (microsoft) result.reachesMicrosoft = true;
  const unfollowed = (why: string) => {
    result.lowerBound = true;
    result.unfollowed.push(`${term} (${why})`);
    // Microsoft's record includes spfa.protection.outlook.com: one more lookup at least.
    if (microsoft) result.count += MICROSOFT_SPF_MIN_LOOKUPS - 1;
  };
  if (target.includes("%")) return unfollowed("a macro, known only per message");
  if (!lookup) return unfollowed("DNS not asked");
  const answers = await lookup(host(target)).catch(() => undefined);
  if (answers === undefined) return unfollowed("not resolvable");
  const spf = answers.filter(isSpfRecord);
  if (spf.length !== 1) return unfollowed(spf.length === 0 ? "no SPF record there" : `${spf.length} SPF records there`);
  await walk(spf[0]!, lookup, result);
}

/**
 * A lookup through node's DNS resolver: the system's, or `server` (`ip[:port]`, as `verify
 * --resolver` takes it). NXDOMAIN and no answer are "not resolvable", like a timeout.
 */
export function dnsTxtLookup(server?: string): TxtLookup {
  // Loaded on use, like everything a dynamic provider may reach.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dns = require("node:dns") as typeof Dns;
  const resolver = new dns.promises.Resolver({ timeout: 3000, tries: 2 });
  if (server) resolver.setServers([server]);
  return async (name) => {
    try {
      return (await resolver.resolveTxt(name)).map((strings) => strings.join(""));
    } catch {
      return undefined;
    }
  };
}

/** How close a record is to the limit. */
export type SpfLookupLevel = "over" | "near" | "fine";

export function spfLookupLevel(counted: SpfLookupCount): SpfLookupLevel {
  if (counted.count > SPF_LOOKUP_LIMIT) return "over";
  return counted.count >= SPF_LOOKUP_LIMIT - 1 ? "near" : "fine";
}

function howMany(counted: SpfLookupCount): string {
  return counted.lowerBound ? `at least ${counted.count} DNS lookups (${counted.unfollowed.join(", ")} could not be followed)` : `${counted.count} DNS lookups`;
}

/** The sentence for a record that, with Microsoft's include, would need more than 10 lookups. */
export function overLimitSentence(name: string, counted: SpfLookupCount, withInclude: boolean): string {
  const record = withInclude ? `${name}'s SPF record with ${MICROSOFT_SPF_INCLUDE} added` : `${name}'s SPF record`;
  return (
    `${record} needs ${howMany(counted)}, over SPF's limit of ${SPF_LOOKUP_LIMIT} (RFC 7208 §4.6.4), which makes SPF fail for all of the domain's mail; ` +
    `make room in it first (fewer includes, or ip4/ip6 in their place), or leave SPF to the organisation.`
  );
}

/** The sentence for a record at 9 or 10 lookups: legal, with no room left. */
export function nearLimitSentence(name: string, counted: SpfLookupCount, withInclude: boolean): string {
  const record = withInclude ? `${name}'s SPF record with ${MICROSOFT_SPF_INCLUDE} added` : `${name}'s SPF record`;
  return `${record} needs ${howMany(counted)} of SPF's ${SPF_LOOKUP_LIMIT} (RFC 7208 §4.6.4): one more include by anyone makes SPF fail for all of the domain's mail.`;
}

/** What a name's SPF record costs now, and with Microsoft's include added (`merged`: none when nothing would be added). */
export interface SpfAssessment {
  current?: SpfLookupCount;
  merged?: SpfLookupCount;
}

/**
 * The lookups of the SPF record at a name before and after the deployment's edit: `txt` holds the
 * TXT values there, `created` the record the deployment creates where there is none. A record
 * that leads to Microsoft already (their include, or an effective redirect that reaches it
 * through DNS) gets nothing added.
 */
export async function assessSpf(txt: readonly string[], created: string, lookup: TxtLookup | undefined): Promise<SpfAssessment> {
  const spf = txt.filter(isSpfRecord);
  if (spf.length > 1) return {};
  const [only] = spf;
  if (only === undefined) return { merged: await countSpfLookups(created, lookup) };
  const current = await countSpfLookups(only, lookup);
  if (leadsToMicrosoft(only) || current.reachesMicrosoft) return { current };
  return { current, merged: await countSpfLookups(withMicrosoftInclude(only), lookup) };
}
