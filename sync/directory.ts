import { GROUP, USER, type DirectoryGroup, type DirectoryUser, type ObjectKind } from "./model";

const NONE = 0;
const IS_USER = 1;
const IS_GROUP = 2;
type Code = typeof NONE | typeof IS_USER | typeof IS_GROUP;

/**
 * The directory as one sync saw it: users, mail-enabled groups and, per group, its members. Kept
 * compactly, so that a 100,000-user tenant fits a small server's memory: each object is an index;
 * its id and its other fields are JSON texts held as UTF-8 outside the JavaScript heap, unpacked
 * only while a change is merged, a CSV row is made or the state is saved; member lists hold
 * indices. An id seen only as a member (a contact, a device, a group that is not mail-enabled)
 * has an index but no fields.
 */
export class Directory {
  private readonly texts = new TextArena();
  private readonly ids = new IdTable(this.texts);
  /** By index, for users and groups: where the object's fields after the id are in `texts` (a JSON array in its kind's order). */
  private fieldsAt = new Float64Array(1024);
  private kinds = new Uint8Array(1024);
  /** Group index → member indices (direct, or transitive with --transitive). */
  private readonly memberLists = new Map<number, number[]>();

  /** A directory holding exactly these objects and member lists (for tests and benchmarks). */
  static of(contents: { users: readonly DirectoryUser[]; groups: readonly DirectoryGroup[]; members: ReadonlyMap<string, readonly string[]> }): Directory {
    const directory = new Directory();
    for (const user of contents.users) directory.putUser(user);
    for (const group of contents.groups) directory.putGroup(group);
    for (const [id, members] of contents.members) directory.setMembers(id, members);
    return directory;
  }

  /** One more than the highest index in use: the length an array indexed like the directory needs. */
  get size(): number {
    return this.ids.size;
  }

  /** Adds the user, or replaces every field of the one with its id. */
  putUser(user: DirectoryUser): void {
    this.put(IS_USER, user.id, packFields(USER, user));
  }

  putGroup(group: DirectoryGroup): void {
    this.put(IS_GROUP, group.id, packFields(GROUP, group));
  }

  /** Adds an object from its fields after the id, in its kind's order (the state file's records). */
  putFieldList(kind: ObjectKind<{ id: string }>, id: string, fields: readonly unknown[]): void {
    this.put(codeOf(kind), id, JSON.stringify(fields));
  }

  user(id: string): DirectoryUser | undefined {
    const index = this.ids.find(id);
    return index !== undefined && this.kinds[index] === IS_USER ? this.unpack(USER, index, id) : undefined;
  }

  group(id: string): DirectoryGroup | undefined {
    const index = this.ids.find(id);
    return index !== undefined && this.kinds[index] === IS_GROUP ? this.unpack(GROUP, index, id) : undefined;
  }

  /** The user or group at this index; undefined for an id known only as a member. */
  objectAt(index: number): DirectoryUser | DirectoryGroup | undefined {
    const kind = this.kinds[index];
    return kind === IS_USER ? this.unpack(USER, index) : kind === IS_GROUP ? this.unpack(GROUP, index) : undefined;
  }

  idAt(index: number): string {
    return this.ids.idAt(index);
  }

  /** Forgets the user or group, and its member list; it stays a member of other groups, as an id without fields. */
  remove(id: string): void {
    const index = this.ids.find(id);
    if (index !== undefined) this.setKind(index, NONE);
  }

  setMembers(groupId: string, memberIds: Iterable<string>): void {
    this.memberLists.set(
      this.intern(groupId),
      Array.from(memberIds, (id) => this.intern(id)),
    );
  }

  addMembers(groupId: string, memberIds: readonly string[]): void {
    const group = this.intern(groupId);
    let list = this.memberLists.get(group);
    if (!list) this.memberLists.set(group, (list = []));
    for (const id of memberIds) list.push(this.intern(id));
  }

  memberIds(groupId: string): string[] {
    const index = this.ids.find(groupId);
    return index === undefined ? [] : this.memberIndices(index).map((member) => this.ids.idAt(member));
  }

  /** The indices of the group's members; empty when none were read. */
  memberIndices(groupIndex: number): readonly number[] {
    return this.memberLists.get(groupIndex) ?? [];
  }

  /** The index and fields of every user (or group), unpacked one at a time. */
  *objects<T extends { id: string }>(kind: ObjectKind<T>): Generator<[number, T]> {
    const code = codeOf(kind);
    for (let index = 0; index < this.ids.size; index++) if (this.kinds[index] === code) yield [index, this.unpack(kind, index)];
  }

  /** Every user, then every group, as kind, id and the JSON text of its fields after the id, without unpacking them. */
  *fieldLists(): Generator<[ObjectKind<{ id: string }>, string, string]> {
    for (const kind of [USER, GROUP]) {
      const code = codeOf(kind);
      for (let index = 0; index < this.ids.size; index++)
        if (this.kinds[index] === code) yield [kind, this.ids.idAt(index), this.texts.text(this.fieldsAt[index]!)];
    }
  }

  *memberEntries(): Generator<[string, string[]]> {
    for (const [group, list] of this.memberLists) yield [this.ids.idAt(group), list.map((member) => this.ids.idAt(member))];
  }

  private intern(id: string): number {
    const index = this.ids.intern(id);
    if (index >= this.kinds.length) {
      this.kinds = grown(this.kinds, index);
      this.fieldsAt = grown(this.fieldsAt, index);
    }
    return index;
  }

  private put(code: Code, id: string, fields: string): void {
    const index = this.intern(id);
    this.setKind(index, code);
    this.fieldsAt[index] = this.texts.append(fields);
  }

  private setKind(index: number, code: Code): void {
    const was = this.kinds[index];
    if (was === code) return;
    if (was !== NONE) this.memberLists.delete(index);
    this.kinds[index] = code;
  }

  private unpack<T extends { id: string }>(kind: ObjectKind<T>, index: number, id = this.ids.idAt(index)): T {
    const values = JSON.parse(this.texts.text(this.fieldsAt[index]!)) as unknown[];
    const object: Record<string, unknown> = { id };
    for (let i = 1; i < kind.fields.length; i++) object[kind.fields[i]!] = values[i - 1];
    return object as T;
  }
}

const codeOf = (kind: { name: "user" | "group" }): Code => (kind.name === "user" ? IS_USER : IS_GROUP);

/** The fields after the id, absent ones as null, as one JSON array. */
function packFields<T extends { id: string }>(kind: ObjectKind<T>, object: T): string {
  return JSON.stringify(kind.fields.slice(1).map((field) => object[field] ?? null));
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(array: T, index: number): T {
  let length = array.length;
  while (length <= index) length *= 2;
  const bigger = new (array.constructor as new (length: number) => T)(length);
  bigger.set(array);
  return bigger;
}

/**
 * Ids and their indices: an open-addressing hash table over the ids' texts in the arena, so that
 * no id is a string on the JavaScript heap while it is only being kept.
 */
class IdTable {
  private slots = new Int32Array(2048); // index + 1; 0 is empty
  private hashes = new Int32Array(1024);
  private textAt = new Float64Array(1024);
  size = 0;

  constructor(private readonly texts: TextArena) {}

  find(id: string): number | undefined {
    const hash = hashOf(id);
    for (let slot = hash & (this.slots.length - 1); ; slot = (slot + 1) & (this.slots.length - 1)) {
      const entry = this.slots[slot]!;
      if (entry === 0) return undefined;
      if (this.hashes[entry - 1] === hash && this.idAt(entry - 1) === id) return entry - 1;
    }
  }

  intern(id: string): number {
    const known = this.find(id);
    if (known !== undefined) return known;
    const index = this.size++;
    if (index >= this.hashes.length) {
      this.hashes = grown(this.hashes, index);
      this.textAt = grown(this.textAt, index);
    }
    this.hashes[index] = hashOf(id);
    // As a JSON string, so that any id, even one that is not well-formed UTF-16, comes back exactly.
    this.textAt[index] = this.texts.append(JSON.stringify(id));
    if (this.size * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(index);
    return index;
  }

  idAt(index: number): string {
    return JSON.parse(this.texts.text(this.textAt[index]!)) as string;
  }

  private place(index: number): void {
    let slot = this.hashes[index]! & (this.slots.length - 1);
    while (this.slots[slot] !== 0) slot = (slot + 1) & (this.slots.length - 1);
    this.slots[slot] = index + 1;
  }

  private rehash(length: number): void {
    this.slots = new Int32Array(length);
    for (let index = 0; index < this.size; index++) this.place(index);
  }
}

/** FNV-1a over the UTF-16 code units, as a signed 32-bit integer (what the Int32Array keeps), the empty string's too. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash;
}

const CHUNK_BYTES = 1 << 20;
const CHUNK_STRIDE = 2 ** 32;

/**
 * Texts kept as UTF-8 in 1 MiB buffers (a longer text gets a buffer of its own), each found again
 * by the number `append` returned. Nothing is freed: a replaced object's old fields stay until the
 * run ends, which costs little, since a run replaces only what changed. The texts are JSON, whose
 * escapes keep even lone surrogates intact through UTF-8.
 */
class TextArena {
  private readonly chunks: Buffer[] = [];
  private used = 0;

  append(text: string): number {
    const length = Buffer.byteLength(text);
    let chunk = this.chunks.at(-1);
    if (!chunk || this.used + 4 + length > chunk.length) {
      chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, 4 + length));
      this.chunks.push(chunk);
      this.used = 0;
    }
    const offset = this.used;
    chunk.writeUInt32LE(length, offset);
    chunk.write(text, offset + 4, length, "utf8");
    this.used += 4 + length;
    return (this.chunks.length - 1) * CHUNK_STRIDE + offset;
  }

  text(address: number): string {
    const chunk = this.chunks[Math.floor(address / CHUNK_STRIDE)]!;
    const offset = address % CHUNK_STRIDE;
    return chunk.toString("utf8", offset + 4, offset + 4 + chunk.readUInt32LE(offset));
  }
}
