import { createHash } from "node:crypto";
import { closeSync, constants, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { Directory } from "./directory";
import { GROUP, isFieldList, USER } from "./model";
import { BACKUP_DIR, fileChunks } from "./replace";

export const STATE_FILE = path.join(BACKUP_DIR, "state", "delta.json");
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

/** Written like the CSVs: a temp file, flushed, renamed. */
export function saveDeltaState(outDir: string, state: DeltaState): void {
  writeStateFile(outDir, (fd) => {
    let piece: string[] = [];
    const write = (line: string) => {
      piece.push(line);
      if (piece.length === 1000) flush();
    };
    const flush = () => {
      if (piece.length > 0) writeSync(fd, `${piece.join("\n")}\n`);
      piece = [];
    };
    const { directory, ...header } = state;
    write(JSON.stringify(headerLine(header)));
    // The directory holds each object's fields as the JSON text of this line's array already.
    for (const [kind, id, fields] of directory.fieldLists()) write(`[${JSON.stringify(kind.name)},${JSON.stringify(id)},${fields}]`);
    for (const [id, members] of directory.memberEntries()) write(JSON.stringify(["members", id, members] satisfies Line));
    flush();
  });
}

/** Replaces only the first line (new delta links, after a round that changed nothing); the snapshot's lines are copied as they are. */
export function saveDeltaHeader(outDir: string, header: DeltaHeader): void {
  const file = path.join(outDir, STATE_FILE);
  writeStateFile(outDir, (fd) => {
    writeSync(fd, `${JSON.stringify(headerLine(header))}\n`);
    let firstLine = true;
    for (const chunk of fileChunks(file)) {
      let rest = chunk;
      if (firstLine) {
        const end = chunk.indexOf(10);
        if (end < 0) continue;
        rest = chunk.subarray(end + 1);
        firstLine = false;
      }
      for (let done = 0; done < rest.length; ) done += writeSync(fd, rest, done);
    }
  });
}

const headerLine = ({ usersDeltaLink, groupsDeltaLink, written }: DeltaHeader): Line => ["links", { version: VERSION, usersDeltaLink, groupsDeltaLink, ...(written ? { written } : {}) }];

function writeStateFile(outDir: string, write: (fd: number) => void): void {
  const file = path.join(outDir, STATE_FILE);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o640);
    try {
      fchmodSync(fd, 0o640);
      write(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
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
  if (!existsSync(file)) return undefined;
  try {
    for (const text of lines(file)) return headerOf(JSON.parse(text));
  } catch {
    return undefined;
  }
  return undefined;
}

/** A file's SHA-256 (hex), read 1 MiB at a time; undefined when it is missing. */
export function fileSha256(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const hash = createHash("sha256");
  for (const chunk of fileChunks(file)) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * The state of the last run; undefined when there is none or it cannot be used (unreadable, of
 * another version), which makes the next run a full one.
 */
export function loadDeltaState(outDir: string): DeltaState | undefined {
  const file = path.join(outDir, STATE_FILE);
  if (!existsSync(file)) return undefined;
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

/** The file's lines, read 1 MiB at a time. */
function* lines(file: string): Generator<string> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  for (const chunk of fileChunks(file)) {
    const parts = (rest + decoder.write(chunk)).split("\n");
    rest = parts.pop() ?? "";
    yield* parts.filter((line) => line !== "");
  }
  if ((rest + decoder.end()).trim() !== "") throw new Error(`${file} ends in the middle of a line`);
}
