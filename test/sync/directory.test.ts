import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { buildAddressBook } from "../../sync/address-book";
import { renderCsv } from "../../sync/csv";
import { loadDeltaState, saveDeltaState } from "../../sync/delta-state";
import { Directory } from "../../sync/directory";
import { GROUP, USER, type DirectoryUser } from "../../sync/model";

const count = (directory: Directory, kind: typeof USER | typeof GROUP) => [...directory.objects<{ id: string }>(kind)].length;

const user = (id: string, mail: string | null, extra: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id,
  displayName: `Name of ${id}`,
  mail,
  mailNickname: id,
  userPrincipalName: mail ?? `${id}@contoso.onmicrosoft.com`,
  proxyAddresses: mail ? [`SMTP:${mail}`] : [],
  userType: "Member",
  accountEnabled: true,
  ...extra,
});

describe("the compact directory", () => {
  it("gives back every field as it was put, absent ones as null, for ids of any shape", () => {
    const ids = ["00000000-0000-4000-8000-000000000001", "", "Zoë 名前", "lone \ud800 surrogate", "x".repeat(2_000_000)];
    const directory = new Directory();
    for (const id of ids) directory.putUser(user(id, `${id.length}@contoso.com`, { displayName: `"quoted"\n${id.slice(0, 20)}`, accountEnabled: undefined }));
    for (const id of ids) {
      assert.deepEqual(directory.user(id), { ...user(id, `${id.length}@contoso.com`, { displayName: `"quoted"\n${id.slice(0, 20)}` }), accountEnabled: null });
      assert.equal(directory.group(id), undefined, "a user is not a group");
    }
    assert.equal(directory.user("not there"), undefined);
    for (const id of ids) directory.putUser(user(id, "again@contoso.com"));
    assert.equal(count(directory, USER), ids.length, "putting an id again replaces it");
  });

  it("finds each of 50,000 ids again after its table grew, and replaces an object put twice", () => {
    const directory = new Directory();
    for (let i = 0; i < 50_000; i++) directory.putUser(user(`u-${i}`, `u${i}@contoso.com`));
    directory.putUser(user("u-7", "seven@contoso.com"));
    assert.equal(count(directory, USER), 50_000);
    for (let i = 0; i < 50_000; i += 997) assert.equal(directory.user(`u-${i}`)?.mail, i === 7 ? "seven@contoso.com" : `u${i}@contoso.com`);
    assert.equal(directory.user("u-7")?.mail, "seven@contoso.com");
  });

  it("keeps a removed object's id as a member of other groups, and forgets its own member list", () => {
    const directory = Directory.of({
      users: [user("u-1", "a@contoso.com")],
      groups: [
        { id: "g-1", mail: "g1@contoso.com", mailEnabled: true },
        { id: "g-2", mail: "g2@contoso.com", mailEnabled: true },
      ],
      members: new Map([
        ["g-1", ["u-1", "g-2", "device-1"]],
        ["g-2", ["u-1"]],
      ]),
    });
    directory.remove("g-2");
    directory.remove("u-1");
    assert.deepEqual(directory.memberIds("g-1"), ["u-1", "g-2", "device-1"]);
    assert.deepEqual(directory.memberIds("g-2"), []);
    assert.equal(count(directory, USER), 0);
    assert.equal(count(directory, GROUP), 1);
    directory.putGroup({ id: "g-2", mail: "g2@contoso.com", mailEnabled: true });
    assert.deepEqual(directory.memberIds("g-2"), [], "a group put back has its members read again");
  });

  it("survives the state file unchanged, and renders the same address book after it", () => {
    const out = mkdtempSync(path.join(tmpdir(), "retain-directory-"));
    const directory = Directory.of({
      users: [
        user("u-2", "Same@contoso.com"),
        user("U-1", "same@contoso.com"),
        user("u-1", "same@contoso.com"),
        user("guest", "g@x.com", { userType: "Guest" }),
        user("no-mail", null),
      ],
      groups: [
        {
          id: "g-1",
          displayName: "All",
          mail: "all@contoso.com",
          mailNickname: "all",
          proxyAddresses: ["smtp:x@contoso.com", "SMTP:All@contoso.com"],
          mailEnabled: true,
        },
      ],
      members: new Map([["g-1", ["u-2", "u-1", "u-1", "guest", "g-1", "device-1"]]]),
    });
    const render = (d: Directory) => {
      const book = buildAddressBook(d);
      return {
        users: renderCsv(book.users.columns, book.users.rows()),
        groups: renderCsv(book.groups.columns, book.groups.rows()),
        memberships: book.memberships,
      };
    };
    const before = render(directory);
    saveDeltaState(out, { usersDeltaLink: "https://graph/u", groupsDeltaLink: "https://graph/g", directory });
    const loaded = loadDeltaState(out);
    assert.ok(loaded);
    assert.deepEqual([...loaded.directory.objects(USER)], [...directory.objects(USER)]);
    assert.deepEqual([...loaded.directory.objects(GROUP)], [...directory.objects(GROUP)]);
    assert.deepEqual(render(loaded.directory), before);
    // The contract's order: addresses equal but for case by the address itself ("S" < "s"), equal ones by id.
    const ids = before.users
      .split("\r\n")
      .slice(1, -1)
      .map((line) => line.split(",").at(-1));
    assert.deepEqual(ids, ['"u-2"', '"U-1"', '"u-1"']);
    assert.equal(before.memberships, 2, "members that are rows, each once, never the group itself");
  });
});
