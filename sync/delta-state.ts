import { createHash } from "node:crypto";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { GROUPS_FILE, USERS_FILE } from "./csv";
import { Directory } from "./directory";
import { GROUP, isFieldList, USER } from "./model";
import { STATE_FILE, STATE_FILE_RULE, writeStateFile } from "./output-folder";
import { entryOf, ownFileChunks } from "./safe-files";

// Step 5 of a sync (pipeline.ts): the state kept for the next run, and read back by its step 1.

// Bump it when the CSVs would be rendered differently (a run that finds no change trusts the files
// last written) or the lines change. 3: an object's fields after its id as one array.
const VERSION = 3;

export interface DeltaLinks {
  usersDeltaLink: string;
  groupsDeltaLink: string;
}

/** What the last run left in the output folder: both files' SHA-256 (as hashed while written, replace.ts) and the summary's counts. */
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

/**
 * Keeps the state for the next run: the whole directory with `header`, or (no `directory`: nothing
 * changed) only the new links of `header`; nothing when there is no header. The files are right
 * already, so a failure only costs the next run a full read: it is returned as a warning.
 */
export function saveStateForNextRun(outDir: string, header: DeltaHeader | undefined, directory?: Directory): string | undefined {
  try {
    if (header && directory) saveDeltaState(outDir, { ...header, directory });
    else if (header) saveDeltaHeader(outDir, header);
    return undefined;
  } catch (error) {
    return `the delta state could not be saved (${(error as Error).message}); the next run reads everything`;
  }
}

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
  writeStateFile(
    outDir,
    STATE_FILE,
    (function* () {
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
    })(),
  );
}

const headerLine = ({ usersDeltaLink, groupsDeltaLink, written }: DeltaHeader): Line => [
  "links",
  { version: VERSION, usersDeltaLink, groupsDeltaLink, ...(written ? { written } : {}) },
];

/** The first line's fields, when they have the types this version writes (a damaged file gives undefined: a full read). */
function headerOf(line: unknown): DeltaHeader | undefined {
  if (!Array.isArray(line) || line[0] !== "links" || typeof line[1] !== "object" || line[1] === null) return undefined;
  const { version, usersDeltaLink, groupsDeltaLink, written } = line[1] as Record<string, unknown>;
  if (version !== VERSION || typeof usersDeltaLink !== "string" || typeof groupsDeltaLink !== "string") return undefined;
  if (written === undefined) return { usersDeltaLink, groupsDeltaLink };
  const files = written as Record<string, unknown> | null;
  const complete =
    typeof files === "object" &&
    files !== null &&
    typeof files.usersSha256 === "string" &&
    typeof files.groupsSha256 === "string" &&
    ["users", "groups", "memberships"].every((count) => typeof files[count] === "number");
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

/**
 * Whether both CSVs still hold the bytes the last run wrote (their SHA-256, one pass over each):
 * then a run that finds no change has nothing to render. Only the sync's own files are read.
 */
export function filesAsWritten(outDir: string, written: WrittenFiles): boolean {
  return sha256Of(path.join(outDir, USERS_FILE)) === written.usersSha256 && sha256Of(path.join(outDir, GROUPS_FILE)) === written.groupsSha256;
}

function sha256Of(file: string): string | undefined {
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
