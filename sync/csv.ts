// Retain's file layout (docs/csv-format.md): the files' names and columns, and their bytes: how a
// table is encoded, checked as it streams by, read back and counted. Which objects are rows, and in
// what order: address-book.ts.

export const USERS_FILE = "exchangeuser.csv";
export const GROUPS_FILE = "exchangegroups.csv";
export const USER_COLUMNS = ["DisplayName", "Alias", "PrimarySmtpAddress", "UserPrincipalName", "EmailAddresses", "ExternalDirectoryObjectId"] as const;
export const GROUP_COLUMNS = ["DisplayName", "Alias", "PrimarySmtpAddress", "ExternalDirectoryObjectId", "Members"] as const;

/** One file's records: how many, and the records themselves in the contract's order, made one at a time when iterated. */
export interface CsvTable {
  columns: readonly string[];
  records: number;
  rows: () => Iterable<readonly string[]>;
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
          if (this.columns !== undefined && this.fields !== this.columns)
            throw new Error(`record ${this.records + 1} has ${this.fields} fields, not ${this.columns}`);
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
