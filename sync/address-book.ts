import { GROUP_COLUMNS, USER_COLUMNS, type CsvTable } from "./csv";
import type { Directory } from "./directory";
import { GROUP, USER, type DirectoryGroup, type DirectoryUser } from "./model";

// The address book of the CSV contract (docs/csv-format.md): which objects are rows, what their
// fields hold, and the order of rows and of joined values. How the rows become bytes: csv.ts.

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
