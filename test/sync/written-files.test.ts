import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { buildAddressBook } from "../../sync/address-book";
import { Directory } from "../../sync/directory";
import type { DirectoryUser } from "../../sync/model";
import { replaceFiles } from "../../sync/replace";
import { writeTemp } from "../../sync/safe-files";

// The CSVs are hashed once, while written, and that hash is what the delta state records; the
// read-back compares each piece's bytes as it is written instead of hashing the file again.

const user = (n: number): DirectoryUser => ({
  id: `u-${n}`,
  displayName: `User ${n}`,
  mail: `user${n}@contoso.com`,
  mailNickname: `user${n}`,
  userPrincipalName: `user${n}@contoso.com`,
  proxyAddresses: [`SMTP:user${n}@contoso.com`],
  userType: "Member",
  accountEnabled: true,
});
const book = (count: number) => buildAddressBook(Directory.of({ users: Array.from({ length: count }, (_, n) => user(n)), groups: [], members: new Map() }));
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("the CSVs as written", () => {
  it("the SHA-256 computed while writing is that of the files left in place, replaced or unchanged", async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), "retain-written-"));
    for (const count of [2500, 2600, 2600]) {
      const result = await replaceFiles(book(count), { outDir, backups: 1, maxShrinkPercent: 20, force: false });
      assert.deepEqual(result.sha256, { users: sha256(path.join(outDir, "exchangeuser.csv")), groups: sha256(path.join(outDir, "exchangegroups.csv")) });
    }
  });

  it("a temp file whose name is given to another file while it is written is refused, and nothing is left", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "retain-written-"));
    const file = path.join(dir, "exchangeuser.csv");
    const other = path.join(dir, "other");
    const pieces = function* () {
      yield "first piece\r\n";
      // Another file put at the temp file's name between two pieces: each piece still reads back through the writer's own descriptor.
      writeFileSync(other, "first piece\r\nsecond piece\r\n", { mode: 0o640 });
      renameSync(
        other,
        path.join(
          dir,
          readdirSync(dir).find((name) => name.endsWith(".tmp"))!,
        ),
      );
      yield "second piece\r\n";
    };
    assert.throws(() => writeTemp(file, pieces(), 0o640, undefined, { hashed: true, readBack: true }), /\.tmp is not the file written$/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("reads back what it wrote: pieces of any size, text or bytes, and their hash", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "retain-written-"));
    const pieces = ["", "é", Buffer.alloc(3 << 20, 0x41), "\r\n".repeat(5000), Buffer.from([0xf0, 0x9f])];
    const written = writeTemp(path.join(dir, "x.csv"), pieces, 0o640, undefined, { hashed: true, readBack: true });
    const bytes = Buffer.concat(pieces.map((piece) => (typeof piece === "string" ? Buffer.from(piece) : piece)));
    assert.deepEqual(readFileSync(written.file), bytes);
    assert.equal(written.bytes, bytes.length);
    assert.equal(written.sha256, createHash("sha256").update(bytes).digest("hex"));
  });
});
