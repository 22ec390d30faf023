// The baseline the sync is measured against: the same Graph client, done the obvious way —
// default page size, no $select, one member listing per group, one request at a time.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import { createGraphClient, getAllPages } from "../m365/graph-client";
import { buildAddressBook } from "../sync/address-book";
import { GROUPS_FILE, renderCsv, USERS_FILE } from "../sync/csv";
import { Directory } from "../sync/directory";
import type { DirectoryGroup, DirectoryUser } from "../sync/model";

async function naiveSync(tenantId: string, clientId: string, endpoint: string, out: string): Promise<void> {
  const credential = new ClientSecretCredential(tenantId, clientId, process.env.RETAIN_SYNC_CLIENT_SECRET ?? "", {
    authorityHost: endpoint,
    disableInstanceDiscovery: true,
  });
  const client = createGraphClient({ credential, endpoint });
  const users = await getAllPages<DirectoryUser>(client, "/users");
  const groups = await getAllPages<DirectoryGroup>(client, "/groups?$filter=mailEnabled eq true");
  const members = new Map<string, string[]>();
  for (const group of groups) {
    const list = await getAllPages<{ id: string }>(client, `/groups/${group.id}/members`);
    members.set(
      group.id,
      list.map((m) => m.id),
    );
  }
  const book = buildAddressBook(Directory.of({ users, groups, members }));
  writeFileSync(path.join(out, USERS_FILE), renderCsv(book.users.columns, book.users.rows()));
  writeFileSync(path.join(out, GROUPS_FILE), renderCsv(book.groups.columns, book.groups.rows()));
}

const [tenantId, clientId, endpoint, out] = process.argv.slice(2);
naiveSync(tenantId ?? "", clientId ?? "", endpoint ?? "", out ?? "").catch((error: unknown) => {
  process.stderr.write(`naive sync failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
