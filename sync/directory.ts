import { GROUP, USER, type DirectoryGroup, type DirectoryUser, type ObjectKind } from "./model";

const NONE = 0;
const IS_USER = 1;
const IS_GROUP = 2;

/**
 * The directory as one sync saw it: users, mail-enabled groups and, per group, its members. Kept
 * compactly, so a 100,000-user tenant fits in a small server's memory: every object id is held
 * once (member lists hold indices into the id table), and each object's other fields are one JSON
 * array string, unpacked only while a change is merged or a CSV row is made.
 */
export class Directory {
  private readonly ids: string[] = [];
  private readonly indexOf = new Map<string, number>();
  /** By index: the fields after the id as a JSON array in the kind's order; undefined for ids known only as members. */
  private readonly records: (string | undefined)[] = [];
  private kinds = new Uint8Array(1024);
  /** Group index → member indices (direct, or transitive with --transitive). */
  private readonly memberLists = new Map<number, number[]>();
  private counts = { users: 0, groups: 0 };

  /** A directory holding exactly these objects and member lists (for tests and benchmarks). */
  static of(contents: { users: readonly DirectoryUser[]; groups: readonly DirectoryGroup[]; members: ReadonlyMap<string, readonly string[]> }): Directory {
    const directory = new Directory();
    for (const user of contents.users) directory.putUser(user);
    for (const group of contents.groups) directory.putGroup(group);
    for (const [id, members] of contents.members) directory.setMembers(id, members);
    return directory;
  }

  get userCount(): number {
    return this.counts.users;
  }

  get groupCount(): number {
    return this.counts.groups;
  }

  /** Adds the user, or replaces every field of the one with its id. */
  putUser(user: DirectoryUser): void {
    this.put(IS_USER, user.id, packFields(USER, user));
  }

  putGroup(group: DirectoryGroup): void {
    this.put(IS_GROUP, group.id, packFields(GROUP, group));
  }

  /** Adds an object from its fields after the id, as `fieldList` gives them (the state file's records). */
  putFieldList(kind: ObjectKind<{ id: string }>, id: string, fields: readonly unknown[]): void {
    this.put(kind === USER ? IS_USER : IS_GROUP, id, JSON.stringify(fields));
  }

  user(id: string): DirectoryUser | undefined {
    const index = this.indexOf.get(id);
    return index !== undefined && this.kinds[index] === IS_USER ? this.unpack(USER, index) : undefined;
  }

  group(id: string): DirectoryGroup | undefined {
    const index = this.indexOf.get(id);
    return index !== undefined && this.kinds[index] === IS_GROUP ? this.unpack(GROUP, index) : undefined;
  }

  /** Forgets the user or group, and its member list; it stays a member id of other groups. */
  remove(id: string): void {
    const index = this.indexOf.get(id);
    if (index === undefined) return;
    if (this.kinds[index] === IS_USER) this.counts.users--;
    if (this.kinds[index] === IS_GROUP) this.counts.groups--;
    this.kinds[index] = NONE;
    this.records[index] = undefined;
    this.memberLists.delete(index);
  }

  setMembers(groupId: string, memberIds: Iterable<string>): void {
    this.memberLists.set(this.intern(groupId), Array.from(memberIds, (id) => this.intern(id)));
  }

  addMembers(groupId: string, memberIds: readonly string[]): void {
    const group = this.intern(groupId);
    let list = this.memberLists.get(group);
    if (!list) this.memberLists.set(group, (list = []));
    for (const id of memberIds) list.push(this.intern(id));
  }

  /** The group's member ids (the strings the directory holds, not copies); empty when none were read. */
  memberIds(groupId: string): string[] {
    const index = this.indexOf.get(groupId);
    const list = index === undefined ? undefined : this.memberLists.get(index);
    return list ? list.map((member) => this.ids[member]!) : [];
  }

  *users(): Generator<DirectoryUser> {
    for (let index = 0; index < this.ids.length; index++) if (this.kinds[index] === IS_USER) yield this.unpack(USER, index);
  }

  *groups(): Generator<DirectoryGroup> {
    for (let index = 0; index < this.ids.length; index++) if (this.kinds[index] === IS_GROUP) yield this.unpack(GROUP, index);
  }

  /** Every user, then every group, as kind, id and the JSON text of the fields after the id, without unpacking them. */
  *fieldLists(): Generator<[ObjectKind<{ id: string }>, string, string]> {
    for (const [kind, code] of [[USER, IS_USER], [GROUP, IS_GROUP]] as const) {
      for (let index = 0; index < this.ids.length; index++) if (this.kinds[index] === code) yield [kind, this.ids[index]!, this.records[index]!];
    }
  }

  *memberEntries(): Generator<[string, string[]]> {
    for (const [group, list] of this.memberLists) yield [this.ids[group]!, list.map((member) => this.ids[member]!)];
  }

  private intern(id: string): number {
    let index = this.indexOf.get(id);
    if (index === undefined) {
      index = this.ids.push(id) - 1;
      this.indexOf.set(id, index);
      this.records.push(undefined);
      if (index >= this.kinds.length) {
        const grown = new Uint8Array(this.kinds.length * 2);
        grown.set(this.kinds);
        this.kinds = grown;
      }
    }
    return index;
  }

  private put(code: number, id: string, record: string): void {
    const index = this.intern(id);
    const was = this.kinds[index];
    if (was !== code) {
      if (was === IS_USER) this.counts.users--;
      if (was === IS_GROUP) this.counts.groups--;
      if (code === IS_USER) this.counts.users++;
      else this.counts.groups++;
      if (was !== NONE) this.memberLists.delete(index);
    }
    this.kinds[index] = code;
    this.records[index] = record;
  }

  private unpack<T extends { id: string }>(kind: ObjectKind<T>, index: number): T {
    const values = JSON.parse(this.records[index]!) as unknown[];
    const object: Record<string, unknown> = { id: this.ids[index] };
    kind.fields.forEach((field, i) => {
      if (i > 0) object[field] = values[i - 1];
    });
    return object as T;
  }
}

/** The fields after the id, absent ones as null, as one JSON array. */
function packFields<T extends { id: string }>(kind: ObjectKind<T>, object: T): string {
  return JSON.stringify(kind.fields.slice(1).map((field) => object[field] ?? null));
}
