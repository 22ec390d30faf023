import { createHash } from "node:crypto";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { Directory } from "./directory";
import { GROUP, isFieldList, USER } from "./model";
import { BACKUP_DIR } from "./replace";
import { entryOf, ownFileChunks, ownFolder, refuseLink, replaceWhole, type Expect } from "./safe-files";

export const STATE_DIR = path.join(BACKUP_DIR, "state");
export const STATE_FILE = path.join(STATE_DIR, "delta.json");
/** A state file is believed only when it is the sync's own and no one else may have written it (else: a full read). */
export const STATE_FILE_RULE: Expect = { private: true };
// Bump it when the CSVs would be rendered differently (a run that finds no change trusts the files
// last written) or the lines change. 3: an object's fields after its id as one array.
const VERSION = 3;

export interface DeltaLinks {
  usersDeltaLink: string;
  groupsDeltaLink: string;
}

/** What the last run left in the output folder: both files' SHA-256 and the summary's counts. */
export interface WrittenFiles {
  usersSha256: string;
  groupsSha256: string;
  users: number;
  groups: number;
  memberships: number;
}

/** The state's first line: where to resume, and (since this field was added) the files last written. */
export interface DeltaHeader extends DeltaLinks {
  written?: WrittenFiles;
}

/** Kept beside the backups after each successful run: where to resume, and what the directory looked like. */
export interface DeltaState extends DeltaHeader {
  directory: Directory;
}

// One JSON value per line — the links first, then a line per user, group and member list — so that
// neither writing nor reading a large tenant's state ever holds the whole text in memory. An
// object's line holds its fields after the id in the order of USER_FIELDS or GROUP_FIELDS:
// ["user", id, [displayName, mail, …]], ["group", id, […]], ["members", groupId, [memberId, …]].
type Line = ["links", DeltaHeader & { version: number }] | ["user" | "group", string, unknown[]] | ["members", string, string[]];

/** Written like the CSVs: a new temp file, flushed, renamed. */
export function saveDeltaState(outDir: string, state: DeltaState): void {
  writeStateFile(outDir, STATE_FILE, stateLines(state));
}

/** The state's text in pieces of a thousand lines. */
function* stateLines(state: DeltaState): Generator<string> {
  let piece: string[] = [];
  const { directory, ...header } = state;
  const lines = function* () {
    yield JSON.stringify(headerLine(header));
    // The directory holds each object's fields as the JSON text of this line's array already.
    for (const [kind, id, fields] of directory.fieldLists()) yield `[${JSON.stringify(kind.name)},${JSON.stringify(id)},${fields}]`;
    for (const [id, members] of directory.memberEntries()) yield JSON.stringify(["members", id, members] satisfies Line);
  };
  for (const line of lines()) {
    piece.push(line);
    if (piece.length === 1000) {
      yield `${piece.join("\n")}\n`;
      piece = [];
    }
  }
  if (piece.length > 0) yield `${piece.join("\n")}\n`;
}

/** Replaces only the first line (new delta links, after a round that changed nothing); the snapshot's lines are copied as they are. */
export function saveDeltaHeader(outDir: string, header: DeltaHeader): void {
  const file = path.join(outDir, STATE_FILE);
  writeStateFile(outDir, STATE_FILE, (function* () {
    yield `${JSON.stringify(headerLine(header))}\n`;
    let firstLine = true;
    for (const chunk of ownFileChunks(file, STATE_FILE_RULE)) {
      let rest = chunk;
      if (firstLine) {
        const end = chunk.indexOf(10);
        if (end < 0) continue;
        rest = chunk.subarray(end + 1);
        firstLine = false;
      }
      yield rest;
    }
  })());
}

const headerLine = ({ usersDeltaLink, groupsDeltaLink, written }: DeltaHeader): Line => ["links", { version: VERSION, usersDeltaLink, groupsDeltaLink, ...(written ? { written } : {}) }];

/**
 * Replaces a file of backup/state/ whole (safe-files.ts): the folders are the sync's own (made when
 * missing), a link in the file's place is refused, anything else there is replaced.
 */
export function writeStateFile(outDir: string, name: string, pieces: Iterable<string | Buffer>): void {
  ownFolder(path.join(outDir, BACKUP_DIR));
  ownFolder(path.join(outDir, STATE_DIR));
  const file = path.join(outDir, name);
  refuseLink(file);
  replaceWhole(file, pieces, 0o640);
}

/** The first line's fields, when they have the types this version writes (a damaged file gives undefined: a full read). */
function headerOf(line: unknown): DeltaHeader | undefined {
  if (!Array.isArray(line) || line[0] !== "links" || typeof line[1] !== "object" || line[1] === null) return undefined;
  const { version, usersDeltaLink, groupsDeltaLink, written } = line[1] as Record<string, unknown>;
  if (version !== VERSION || typeof usersDeltaLink !== "string" || typeof groupsDeltaLink !== "string") return undefined;
  if (written === undefined) return { usersDeltaLink, groupsDeltaLink };
  const files = written as Record<string, unknown> | null;
  const complete = typeof files === "object" && files !== null && typeof files.usersSha256 === "string" && typeof files.groupsSha256 === "string" && ["users", "groups", "memberships"].every((count) => typeof files[count] === "number");
  return complete ? { usersDeltaLink, groupsDeltaLink, written: files as unknown as WrittenFiles } : undefined;
}

/** The first line of the last run's state, without reading the snapshot; undefined when there is none or it cannot be used. */
export function loadDeltaHeader(outDir: string): DeltaHeader | undefined {
  const file = path.join(outDir, STATE_FILE);
  if (!entryOf(file)) return undefined;
  try {
    for (const text of lines(file)) return headerOf(JSON.parse(text));
  } catch {
    return undefined;
  }
  return undefined;
}

/** A file's SHA-256 (hex), read 1 MiB at a time; undefined when it is missing. Only the sync's own file is read (safe-files.ts). */
export function fileSha256(file: string): string | undefined {
  if (!entryOf(file)) return undefined;
  const hash = createHash("sha256");
  for (const chunk of ownFileChunks(file)) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * The state of the last run; undefined when there is none or it cannot be used (unreadable, of
 * another version, not trusted: STATE_FILE_RULE), which makes the next run a full one.
 */
export function loadDeltaState(outDir: string): DeltaState | undefined {
  const file = path.join(outDir, STATE_FILE);
  if (!entryOf(file)) return undefined;
  try {
    let links: DeltaHeader | undefined;
    const directory = new Directory();
    for (const text of lines(file)) {
      const line = JSON.parse(text) as Line;
      const kind = line[0] === "user" ? USER : line[0] === "group" ? GROUP : undefined;
      if (!links) {
        links = headerOf(line);
        if (!links) return undefined;
      } else if (kind && typeof line[1] === "string" && isFieldList(kind, line[2])) {
        directory.putFieldList(kind, line[1], line[2]);
      } else if (line[0] === "members" && typeof line[1] === "string" && Array.isArray(line[2]) && line[2].every((id) => typeof id === "string")) {
        directory.setMembers(line[1], line[2]);
      } else {
        return undefined; // a damaged line: read everything again
      }
    }
    return links && { ...links, directory };
  } catch {
    return undefined;
  }
}

/** The state file's lines, read 1 MiB at a time; throws when it is not trusted (STATE_FILE_RULE). */
function* lines(file: string): Generator<string> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  for (const chunk of ownFileChunks(file, STATE_FILE_RULE)) {
    const parts = (rest + decoder.write(chunk)).split("\n");
    rest = parts.pop() ?? "";
    yield* parts.filter((line) => line !== "");
  }
  if ((rest + decoder.end()).trim() !== "") throw new Error(`${file} ends in the middle of a line`);
}
