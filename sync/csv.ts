import type { Directory } from "./directory";
import { GROUP, USER, type DirectoryGroup, type DirectoryUser } from "./model";

// The CSV contract (docs/csv-format.md): the only module that knows Retain's file layout.

export const USERS_FILE = "exchangeuser.csv";
export const GROUPS_FILE = "exchangegroups.csv";
export const USER_COLUMNS = ["DisplayName", "Alias", "PrimarySmtpAddress", "UserPrincipalName", "EmailAddresses", "ExternalDirectoryObjectId"] as const;
export const GROUP_COLUMNS = ["DisplayName", "Alias", "PrimarySmtpAddress", "ExternalDirectoryObjectId", "Members"] as const;

/**
 * The contract's order: lower-cased strings by UTF-16 code units, ties by the original strings'
 * code units. Not locale-aware, so every machine sorts alike.
 */
export function compareContract(a: string, b: string): number {
  return byContract(a.toLowerCase(), b.toLowerCase(), a, b);
}

/** The same order, given each string lower-cased once rather than at every comparison. */
const byContract = (lowerA: string, lowerB: string, a: string, b: string) => (lowerA !== lowerB ? (lowerA < lowerB ? -1 : 1) : a === b ? 0 : a < b ? -1 : 1);

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

const joined = (values: readonly string[]) => {
  if (values.length < 2) return values.join(";");
  const lower = values.map((value) => value.toLowerCase());
  return Array.from(values.keys())
    .sort((a, b) => byContract(lower[a]!, lower[b]!, values[a]!, values[b]!))
    .map((i) => values[i]!)
    .join(";");
};

/** One file's records: how many, and the records themselves in the contract's order, made one at a time when iterated. */
export interface CsvTable {
  columns: readonly string[];
  records: number;
  rows: () => Iterable<readonly string[]>;
}

export interface AddressBook {
  users: CsvTable;
  groups: CsvTable;
  /** Memberships written (members that are rows of one of the files). */
  memberships: number;
}

type Addressed = { id: string; proxyAddresses?: string[] | null; mail?: string | null };
const addressOf = (object: Addressed) => primarySmtpAddress(object.proxyAddresses, object.mail);

/** The indices of the objects that are rows of a file, sorted by (address, id) in the contract's order, each also marked in `isRow`. */
function rowOrder<T extends Addressed>(directory: Directory, objects: Iterable<[number, T]>, isMail: (object: T) => boolean, isRow: Uint8Array): number[] {
  const indices: number[] = [];
  const addresses: string[] = [];
  for (const [index, object] of objects) {
    if (!isMail(object)) continue;
    const address = addressOf(object);
    indices.push(index);
    // The usual case, the primary address equal to `mail`: hold `mail` rather than a slice that keeps its proxy address alive.
    addresses.push(address === object.mail ? object.mail : address);
    isRow[index] = 1;
  }
  const lowerAddresses = addresses.map((address) => address.toLowerCase());
  // Ids decide only between equal addresses, so they are fetched then rather than held for every row.
  const byId = (a: number, b: number) => compareContract(directory.idAt(indices[a]!), directory.idAt(indices[b]!));
  return Array.from(indices.keys())
    .sort((a, b) => byContract(lowerAddresses[a]!, lowerAddresses[b]!, addresses[a]!, addresses[b]!) || byId(a, b))
    .map((i) => indices[i]!);
}

/**
 * Both files of the address book, sorted, from what the sync read. Only the order (the rows'
 * indices in the directory) is kept here; each record, and each member's address, is made from
 * the directory when the file is written, so a large tenant's rows never sit in memory at once.
 */
export function buildAddressBook(directory: Directory): AddressBook {
  const isRow = new Uint8Array(directory.size);
  const users = rowOrder(directory, directory.objects(USER), isMailUser, isRow);
  const groups = rowOrder(directory, directory.objects(GROUP), isMailGroup, isRow);
  const membersOf = (group: number) => [...new Set(directory.memberIndices(group))].filter((member) => member !== group && isRow[member] === 1);
  const memberships = groups.reduce((sum, group) => sum + membersOf(group).length, 0);
  return {
    users: {
      columns: USER_COLUMNS,
      records: users.length,
      *rows() {
        for (const index of users) {
          const user = directory.objectAt(index) as DirectoryUser;
          yield [user.displayName ?? "", user.mailNickname ?? "", addressOf(user), user.userPrincipalName ?? "", joined(user.proxyAddresses ?? []), user.id];
        }
      },
    },
    groups: {
      columns: GROUP_COLUMNS,
      records: groups.length,
      *rows() {
        for (const index of groups) {
          const group = directory.objectAt(index) as DirectoryGroup;
          const members = membersOf(index).map((member) => addressOf(directory.objectAt(member)!));
          yield [group.displayName ?? "", group.mailNickname ?? "", addressOf(group), group.id, joined(members)];
        }
      },
    },
    memberships,
  };
}

const csvLine = (fields: readonly string[]) => `${fields.map((field) => `"${field.replace(/"/g, '""')}"`).join(",")}\r\n`;

/**
 * The file's text in pieces of `recordsPerPiece` records: every field quoted, `"` doubled, every
 * record (the last too) ending in CRLF, like `Export-Csv -NoTypeInformation`.
 */
export function* csvText(columns: readonly string[], rows: Iterable<readonly string[]>, recordsPerPiece = 1000): Generator<string> {
  yield csvLine(columns);
  let piece: string[] = [];
  for (const row of rows) {
    piece.push(csvLine(row));
    if (piece.length === recordsPerPiece) {
      yield piece.join("");
      piece = [];
    }
  }
  if (piece.length > 0) yield piece.join("");
}

/** The whole text at once; for small files and tests. */
export function renderCsv(columns: readonly string[], rows: Iterable<readonly string[]>): string {
  return [...csvText(columns, rows)].join("");
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;
const enum Within {
  FieldStart,
  Field,
  QuoteInField,
  RecordEnd,
}

/**
 * Checks bytes in the contract's format as they stream by, without holding them: every field
 * quoted, every record CRLF-terminated, and (when given) `columns` fields per record. Works on
 * UTF-8 bytes directly: `"`, `,` and CR/LF never occur inside a multi-byte character.
 * `onField` receives each field's value when the caller needs them.
 */
export class ContractCsvWalker {
  private records = 0;
  private fields = 0;
  private within = Within.FieldStart;
  private value: Buffer[] = [];

  constructor(
    private readonly columns?: number,
    private readonly onField?: (value: string, record: number) => void,
  ) {}

  push(bytes: Buffer): void {
    let i = 0;
    while (i < bytes.length) {
      switch (this.within) {
        case Within.FieldStart:
          if (bytes[i] !== QUOTE) throw new Error(`field ${this.fields + 1} of record ${this.records + 1} is not quoted`);
          this.within = Within.Field;
          i++;
          break;
        case Within.Field: {
          const quote = bytes.indexOf(QUOTE, i);
          this.keep(bytes, i, quote < 0 ? bytes.length : quote);
          if (quote < 0) return;
          this.within = Within.QuoteInField;
          i = quote + 1;
          break;
        }
        case Within.QuoteInField:
          if (bytes[i] === QUOTE) {
            this.keep(bytes, i, i + 1); // a doubled quote: one `"` of the value
            this.within = Within.Field;
          } else {
            this.fields++;
            if (this.onField) this.onField(Buffer.concat(this.value).toString("utf8"), this.records);
            this.value = [];
            if (bytes[i] === COMMA) this.within = Within.FieldStart;
            else if (bytes[i] === CR) this.within = Within.RecordEnd;
            else throw new Error(`record ${this.records + 1} is not terminated by CRLF`);
          }
          i++;
          break;
        case Within.RecordEnd:
          if (bytes[i] !== LF) throw new Error(`record ${this.records + 1} is not terminated by CRLF`);
          if (this.columns !== undefined && this.fields !== this.columns) throw new Error(`record ${this.records + 1} has ${this.fields} fields, not ${this.columns}`);
          this.records++;
          this.fields = 0;
          this.within = Within.FieldStart;
          i++;
          break;
      }
    }
  }

  /** The number of records, header included; throws when the bytes stop inside a record. */
  end(): number {
    if (this.within === Within.Field) throw new Error(`record ${this.records + 1} ends inside a quoted field`);
    if (this.within !== Within.FieldStart || this.fields > 0) throw new Error(`record ${this.records + 1} is not terminated by CRLF`);
    return this.records;
  }

  private keep(bytes: Buffer, start: number, end: number): void {
    if (this.onField && end > start) this.value.push(Buffer.from(bytes.subarray(start, end)));
  }
}

/** Walks a whole text in the contract's format; returns the number of records, header included. */
export function walkContractCsv(text: string, columns?: number, onField?: (value: string, record: number) => void): number {
  const walker = new ContractCsvWalker(columns, onField);
  walker.push(Buffer.from(text, "utf8"));
  return walker.end();
}

/** Reads text in the contract's format back into records (header first). */
export function parseContractCsv(text: string): string[][] {
  const records: string[][] = [];
  walkContractCsv(text, undefined, (value, record) => (records[record] ??= []).push(value));
  return records;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const TYPE_LINE = Buffer.from("#TYPE");
const isBlank = (byte: number) => byte === 0x20 || byte === 0x09 || byte === CR || byte === LF;

/**
 * Counts the records of a CSV written by anyone — this tool, or the old `sync365.ps1` (a BOM, a
 * `#TYPE` line, LF line ends, unquoted fields) — so the shrink guard also protects the first run
 * after a migration. Reads the bytes piece by piece. Undefined when the text is not CSV at all.
 */
export function countLegacyCsvRecords(pieces: Iterable<Buffer>): number | undefined {
  let lines = 0;
  let quoted = false;
  let lineHasContent = false;
  let anyContent = false;
  let skippingTypeLine = false;
  const count = (bytes: Buffer, from: number) => {
    let i = from;
    if (skippingTypeLine) {
      const end = bytes.indexOf(LF, i);
      if (end < 0) return;
      skippingTypeLine = false;
      i = end + 1;
    }
    for (; i < bytes.length; i++) {
      const c = bytes[i] as number;
      anyContent ||= !isBlank(c);
      if (c === QUOTE) quoted = !quoted;
      else if (c === LF && !quoted) {
        if (lineHasContent) lines++;
        lineHasContent = false;
        continue;
      }
      if (c !== CR) lineHasContent = true;
    }
  };
  // The first bytes are gathered until a BOM and `#TYPE` can be recognised, whatever the pieces.
  let head: Buffer | undefined = Buffer.alloc(0);
  const start = () => {
    const bytes = head ?? Buffer.alloc(0);
    head = undefined;
    const from = bytes.subarray(0, BOM.length).equals(BOM) ? BOM.length : 0;
    skippingTypeLine = bytes.subarray(from, from + TYPE_LINE.length).equals(TYPE_LINE);
    count(bytes, from);
  };
  for (const piece of pieces) {
    if (!head) count(piece, 0);
    else if ((head = Buffer.concat([head, piece])).length >= BOM.length + TYPE_LINE.length) start();
  }
  if (head) start();
  if (!anyContent) return 0;
  if (quoted) return undefined;
  if (lineHasContent) lines++;
  return Math.max(0, lines - 1);
}
