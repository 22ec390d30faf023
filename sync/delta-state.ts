import { closeSync, constants, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { DirectoryGroup, DirectorySnapshot, DirectoryUser } from "./model";
import { BACKUP_DIR, fileChunks } from "./replace";

export const STATE_FILE = path.join(BACKUP_DIR, "state", "delta.json");
const VERSION = 2;

export interface DeltaLinks {
  usersDeltaLink: string;
  groupsDeltaLink: string;
}

/** Kept beside the backups after each successful run: where to resume, and what the directory looked like. */
export interface DeltaState extends DeltaLinks {
  snapshot: DirectorySnapshot;
}

// One JSON value per line — the links first, then a line per user, group and member list — so that
// neither writing nor reading a large tenant's state ever holds the whole text in memory.
type Line = ["links", DeltaLinks & { version: number }] | ["user", DirectoryUser] | ["group", DirectoryGroup] | ["members", string, string[]];

/** Written like the CSVs: a temp file, flushed, renamed. */
export function saveDeltaState(outDir: string, state: DeltaState): void {
  const file = path.join(outDir, STATE_FILE);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY, 0o640);
    try {
      fchmodSync(fd, 0o640);
      let piece: string[] = [];
      const write = (line: Line) => {
        piece.push(JSON.stringify(line));
        if (piece.length === 1000) flush();
      };
      const flush = () => {
        if (piece.length > 0) writeSync(fd, `${piece.join("\n")}\n`);
        piece = [];
      };
      const { snapshot, usersDeltaLink, groupsDeltaLink } = state;
      write(["links", { version: VERSION, usersDeltaLink, groupsDeltaLink }]);
      for (const user of snapshot.users) write(["user", user]);
      for (const group of snapshot.groups) write(["group", group]);
      for (const [id, members] of snapshot.members) write(["members", id, members]);
      flush();
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * The state of the last run; undefined when there is none or it cannot be used (unreadable, of
 * another version), which makes the next run a full one. Member ids share the users' and groups'
 * id strings, as they do after a full read.
 */
export function loadDeltaState(outDir: string): DeltaState | undefined {
  const file = path.join(outDir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    let links: DeltaLinks | undefined;
    const snapshot: DirectorySnapshot = { users: [], groups: [], members: new Map() };
    const ids = new Map<string, string>();
    for (const text of lines(file)) {
      const line = JSON.parse(text) as Line;
      if (!links) {
        if (line[0] !== "links" || line[1].version !== VERSION) return undefined;
        links = { usersDeltaLink: line[1].usersDeltaLink, groupsDeltaLink: line[1].groupsDeltaLink };
      } else if (line[0] === "user") {
        snapshot.users.push(line[1]);
        ids.set(line[1].id, line[1].id);
      } else if (line[0] === "group") {
        snapshot.groups.push(line[1]);
        ids.set(line[1].id, line[1].id);
      } else if (line[0] === "members") {
        snapshot.members.set(ids.get(line[1]) ?? line[1], line[2].map((id) => ids.get(id) ?? id));
      }
    }
    return links && { ...links, snapshot };
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
