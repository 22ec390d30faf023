import { TXT_STRING_BYTES, txtCharacterStrings } from "../../core/dns-text";
import { MICROSOFT_SPF_DOMAIN, MICROSOFT_SPF_INCLUDE, MICROSOFT_SPF_RECORD } from "../../m365/spf";

// A domain has ONE SPF record per name (RFC 7208 §3.2: two `v=spf1` TXT records are a permerror
// for every message), shared with whatever else sends the organisation's mail. So Microsoft's
// include is merged into the record that is there, never written as a second one. Pure: the
// SpfInclude provider and the adopt/plan classification call these. Serialized with the provider
// (functions only).

/**
 * A TXT record's content as a DNS host holds it: plain text, or one or more quoted
 * character-strings (`"v=spf1 …" "… -all"`, RFC 1035's presentation), which SPF reads joined
 * without spaces.
 */
interface TxtStrings {
  strings: string[];
  quoted: boolean;
}

/** Longest character-string in a TXT record (RFC 1035). */
const MAX_STRING = TXT_STRING_BYTES;

function parseTxt(content: string): TxtStrings {
  const trimmed = content.trim();
  if (!trimmed.startsWith('"')) return { strings: [content], quoted: false };
  const strings: string[] = [];
  let i = 0;
  while (i < trimmed.length) {
    if (trimmed[i] !== '"') return { strings: [content], quoted: false };
    let value = "";
    i++;
    while (i < trimmed.length && trimmed[i] !== '"') {
      if (trimmed[i] === "\\" && i + 1 < trimmed.length) i++;
      value += trimmed[i++];
    }
    if (i >= trimmed.length) return { strings: [content], quoted: false };
    strings.push(value);
    i++;
    while (i < trimmed.length && /\s/.test(trimmed[i] ?? "")) i++;
  }
  return { strings, quoted: true };
}

function renderTxt(txt: TxtStrings): string {
  // Left as the zone had it; plain text too long for one string becomes quoted strings.
  const joined = txt.strings.join("");
  if (!txt.quoted) return joined.length <= MAX_STRING ? joined : renderTxt({ strings: txtCharacterStrings(joined), quoted: true });
  return txt.strings.map((s) => `"${s.replace(/["\\]/g, "\\$&")}"`).join(" ");
}

/**
 * Replaces `length` characters at `start` of the joined text by `insert`, inside the one string
 * that holds them so the other strings keep their split; where the edit crosses a split or makes a
 * string too long, the text is split again every 255 characters.
 */
function splice(txt: TxtStrings, start: number, length: number, insert: string): TxtStrings {
  let offset = 0;
  for (const [index, value] of txt.strings.entries()) {
    const end = offset + value.length;
    const inside = start >= offset && start + length <= end && (start < end || index === txt.strings.length - 1);
    if (inside) {
      const edited = value.slice(0, start - offset) + insert + value.slice(start - offset + length);
      if (edited.length <= MAX_STRING || !txt.quoted) return { ...txt, strings: txt.strings.map((s, i) => (i === index ? edited : s)) };
      break;
    }
    offset = end;
  }
  const joined = txt.strings.join("");
  const edited = joined.slice(0, start) + insert + joined.slice(start + length);
  const strings: string[] = [];
  for (let i = 0; i < edited.length; i += MAX_STRING) strings.push(edited.slice(i, i + MAX_STRING));
  return { ...txt, strings };
}

interface Term {
  text: string;
  start: number;
  end: number;
}

function termsOf(text: string): Term[] {
  return [...text.matchAll(/\S+/g)].map((match) => ({ text: match[0], start: match.index, end: match.index + match[0].length }));
}

/** The SPF text of a TXT record's content: its strings joined, as a receiver reads it. */
export function spfText(content: string): string {
  return parseTxt(content).strings.join("");
}

/** Whether a TXT record is an SPF record: `v=spf1` is its first term, in any letter case. */
export function isSpfRecord(content: string): boolean {
  return termsOf(spfText(content))[0]?.text.toLowerCase() === "v=spf1";
}

const isMicrosoftInclude = (term: string) => term.toLowerCase().replace(/^\+/, "").replace(/\.$/, "") === MICROSOFT_SPF_INCLUDE;
/** The terms after which nothing more is looked at: `all` with any qualifier, and `redirect=`. */
const endsEvaluation = (term: string) => /^[+\-~?]?all$/i.test(term) || /^redirect=/i.test(term);

/** Whether an SPF record includes Microsoft's servers (`include:spf.protection.outlook.com`, any case). */
export function hasMicrosoftInclude(content: string): boolean {
  return termsOf(spfText(content)).some((term) => isMicrosoftInclude(term.text));
}

/**
 * Whether an SPF record leads to Microsoft's servers by itself: their include, or a
 * `redirect=spf.protection.outlook.com` that is in effect (RFC 7208 §6.1: a redirect is ignored
 * when the record has an `all` mechanism). Adding the include to such a record would only cost
 * lookups. (A redirect or include that reaches Microsoft further down is found through DNS: spf-lookups.ts.)
 */
export function leadsToMicrosoft(content: string): boolean {
  const terms = termsOf(spfText(content)).map((term) => term.text);
  if (terms.some(isMicrosoftInclude)) return true;
  const hasAll = terms.some((term) => /^[+\-~?]?all$/i.test(term));
  return !hasAll && terms.some((term) => term.toLowerCase().replace(/\.$/, "") === `redirect=${MICROSOFT_SPF_DOMAIN}`);
}

/**
 * The SPF record with Microsoft's include added before its `all` or `redirect=` (at the end when it
 * has neither): every other term, its qualifier and its place kept, and the quoting kept. A record
 * that has it already comes back unchanged.
 */
export function withMicrosoftInclude(content: string): string {
  if (hasMicrosoftInclude(content)) return content;
  const txt = parseTxt(content);
  const terms = termsOf(txt.strings.join(""));
  const last = terms[terms.length - 1];
  const final = terms.slice(1).find((term) => endsEvaluation(term.text));
  if (final) return renderTxt(splice(txt, final.start, 0, `${MICROSOFT_SPF_INCLUDE} `));
  return renderTxt(splice(txt, last?.end ?? 0, 0, ` ${MICROSOFT_SPF_INCLUDE}`));
}

/** The SPF record without Microsoft's include, everything else as it was. */
export function withoutMicrosoftInclude(content: string): string {
  let txt = parseTxt(content);
  const terms = termsOf(txt.strings.join(""));
  for (let i = terms.length - 1; i >= 1; i--) {
    const term = terms[i];
    if (!term || !isMicrosoftInclude(term.text)) continue;
    const next = terms[i + 1];
    const previous = terms[i - 1];
    // The term and the space after it; the last term takes the space before it instead.
    const [start, end] = next ? [term.start, next.start] : [previous ? previous.end : term.start, term.end];
    txt = splice(txt, start, end - start, "");
  }
  return renderTxt(txt);
}

/** Whether an SPF record says nothing but `v=spf1` and an `all`: what is left of one we created. */
export function isBareSpfRecord(content: string): boolean {
  const terms = termsOf(spfText(content)).slice(1);
  return terms.every((term) => /^[+\-~?]?all$/i.test(term.text));
}

/** A TXT record at the SPF record's name, as the DNS host lists it. */
export interface TxtRecord {
  id: string;
  content: string;
}

/** What adding Microsoft's include to a name's SPF record takes. */
export type SpfChange =
  | { action: "create"; content: string }
  | { action: "update"; recordId: string; before: string; content: string }
  | { action: "none"; recordId: string }
  | { action: "conflict"; detail: string };

/**
 * How to get Microsoft's include into the SPF record at `name`, given the TXT records there (other
 * TXT records, such as verification tokens, are left alone). `record` is created where there is
 * none: Graph's value, or Microsoft's own record.
 */
export function planSpfInclude(name: string, txtRecords: readonly TxtRecord[], record: string = MICROSOFT_SPF_RECORD): SpfChange {
  const spf = txtRecords.filter((txt) => isSpfRecord(txt.content));
  const [only] = spf;
  if (spf.length > 1) return { action: "conflict", detail: twoSpfRecords(name, spf.length) };
  if (!only) return { action: "create", content: record };
  if (leadsToMicrosoft(only.content)) return { action: "none", recordId: only.id };
  return { action: "update", recordId: only.id, before: only.content, content: withMicrosoftInclude(only.content) };
}

/** The sentence for a name with several SPF records: the deployment never picks one of them. */
export function twoSpfRecords(name: string, count: number): string {
  return (
    `${name} has ${count} SPF TXT records (v=spf1), which makes SPF fail for all of the domain's mail; ` +
    `merge them into one record by hand and deploy again (the deployment never picks one, and adds ${MICROSOFT_SPF_INCLUDE} to the one that remains).`
  );
}
