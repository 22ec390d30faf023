import type { DirectoryGroup, DirectorySnapshot, DirectoryUser } from "./model";

// The CSV contract (DESIGN.md): the only module that knows Retain's file layout.

export const USERS_FILE = "exchangeuser.csv";
export const GROUPS_FILE = "exchangegroups.csv";
export const USER_COLUMNS = ["DisplayName", "Alias", "PrimarySmtpAddress", "UserPrincipalName", "EmailAddresses", "ExternalDirectoryObjectId"] as const;
export const GROUP_COLUMNS = ["DisplayName", "Alias", "PrimarySmtpAddress", "ExternalDirectoryObjectId", "Members"] as const;

export type UserRow = Record<(typeof USER_COLUMNS)[number], string>;
export type GroupRow = Record<(typeof GROUP_COLUMNS)[number], string>;

/**
 * The contract's order: lower-cased strings by UTF-16 code units, ties by the original strings'
 * code units. Not locale-aware, so every machine sorts alike.
 */
export function compareContract(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** The address of the primary `SMTP:` proxy address (upper-case prefix), else `mail`. */
export function primarySmtpAddress(proxyAddresses: readonly string[] | null | undefined, mail: string | null | undefined): string {
  const primary = (proxyAddresses ?? []).find((address) => address.startsWith("SMTP:"));
  return primary ? primary.slice("SMTP:".length) : (mail ?? "");
}

/** A user with a mailbox: `mail` set and a member (not a guest); disabled accounts (shared mailboxes) count. */
export function isMailUser(user: DirectoryUser): boolean {
  return Boolean(user.mail) && user.userType === "Member";
}

export function isMailGroup(group: DirectoryGroup): boolean {
  return Boolean(group.mail) && group.mailEnabled !== false;
}

const joined = (values: readonly string[]) => [...values].sort(compareContract).join(";");

export interface AddressBook {
  users: UserRow[];
  groups: GroupRow[];
  /** Memberships written (members that are rows of one of the files). */
  memberships: number;
}

/** The rows of both files, sorted, from what the sync read. */
export function buildAddressBook(snapshot: DirectorySnapshot): AddressBook {
  const addressOf = new Map<string, string>();
  const users = snapshot.users.filter(isMailUser).map((user): UserRow => {
    const address = primarySmtpAddress(user.proxyAddresses, user.mail);
    addressOf.set(user.id, address);
    return {
      DisplayName: user.displayName ?? "",
      Alias: user.mailNickname ?? "",
      PrimarySmtpAddress: address,
      UserPrincipalName: user.userPrincipalName ?? "",
      EmailAddresses: joined(user.proxyAddresses ?? []),
      ExternalDirectoryObjectId: user.id,
    };
  });
  const mailGroups = snapshot.groups.filter(isMailGroup);
  for (const group of mailGroups) addressOf.set(group.id, primarySmtpAddress(group.proxyAddresses, group.mail));
  let memberships = 0;
  const groups = mailGroups.map((group): GroupRow => {
    const members = [...new Set(snapshot.members.get(group.id) ?? [])].filter((id) => id !== group.id && addressOf.has(id)).map((id) => addressOf.get(id) ?? "");
    memberships += members.length;
    return {
      DisplayName: group.displayName ?? "",
      Alias: group.mailNickname ?? "",
      PrimarySmtpAddress: addressOf.get(group.id) ?? "",
      ExternalDirectoryObjectId: group.id,
      Members: joined(members),
    };
  });
  const byAddress = <R extends { PrimarySmtpAddress: string; ExternalDirectoryObjectId: string }>(a: R, b: R) =>
    compareContract(a.PrimarySmtpAddress, b.PrimarySmtpAddress) || compareContract(a.ExternalDirectoryObjectId, b.ExternalDirectoryObjectId);
  return { users: users.sort(byAddress), groups: groups.sort(byAddress), memberships };
}

/** Every field quoted, `"` doubled, every record (the last too) ending in CRLF, like `Export-Csv -NoTypeInformation`. */
export function renderCsv<C extends string>(columns: readonly C[], rows: readonly Record<C, string>[]): string {
  const line = (fields: readonly string[]) => `${fields.map((field) => `"${field.replace(/"/g, '""')}"`).join(",")}\r\n`;
  return line(columns) + rows.map((row) => line(columns.map((column) => row[column]))).join("");
}

/**
 * Walks text in the contract's format, checking its shape without copying it: every field quoted,
 * every record CRLF-terminated, and (when given) `columns` fields per record. Returns the number of
 * records, header included; `onField` receives each field's value when the caller needs them.
 */
export function walkContractCsv(text: string, columns?: number, onField?: (value: string, record: number) => void): number {
  let records = 0;
  let i = 0;
  while (i < text.length) {
    let fields = 0;
    for (;;) {
      if (text.charCodeAt(i) !== 34) throw new Error(`field ${fields + 1} of record ${records + 1} is not quoted`);
      let start = i + 1;
      let value = "";
      for (;;) {
        const quote = text.indexOf('"', start);
        if (quote < 0) throw new Error(`record ${records + 1} ends inside a quoted field`);
        if (text.charCodeAt(quote + 1) === 34) {
          if (onField) value += text.slice(start, quote + 1);
          start = quote + 2;
          continue;
        }
        if (onField) value += text.slice(start, quote);
        i = quote + 1;
        break;
      }
      fields++;
      onField?.(value, records);
      if (text.charCodeAt(i) === 44) {
        i++;
        continue;
      }
      if (text.charCodeAt(i) === 13 && text.charCodeAt(i + 1) === 10) {
        i += 2;
        break;
      }
      throw new Error(`record ${records + 1} is not terminated by CRLF`);
    }
    if (columns !== undefined && fields !== columns) throw new Error(`record ${records + 1} has ${fields} fields, not ${columns}`);
    records++;
  }
  return records;
}

/** Reads text in the contract's format back into records (header first). */
export function parseContractCsv(text: string): string[][] {
  const records: string[][] = [];
  walkContractCsv(text, undefined, (value, record) => (records[record] ??= []).push(value));
  return records;
}

/**
 * Counts the records of a CSV written by anyone — this tool, or the old `sync365.ps1` (a BOM, a
 * `#TYPE` line, LF line ends, unquoted fields) — so the shrink guard also protects the first run
 * after a migration. Undefined when the text is not CSV at all.
 */
export function countLegacyCsvRecords(text: string): number | undefined {
  let body = text.replace(/^\uFEFF/, "");
  if (body.startsWith("#TYPE")) body = body.slice(body.indexOf("\n") + 1);
  if (body.trim() === "") return 0;
  let lines = 0;
  let quoted = false;
  let lineHasContent = false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (c === 10 && !quoted) {
      if (lineHasContent) lines++;
      lineHasContent = false;
      continue;
    }
    if (c !== 13) lineHasContent = true;
  }
  if (quoted) return undefined;
  if (lineHasContent) lines++;
  return Math.max(0, lines - 1);
}
