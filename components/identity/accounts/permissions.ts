import { combinePermissions, permissions } from "../../permissions";
import { mailboxLicensePermissions } from "../mailbox-license/permissions";

/** Needed for `RetainAccounts`. */
export const retainAccountsPermissions = combinePermissions(
  permissions({
    read: {
      graph: ["User.Read.All", "RoleManagement.Read.Directory (reads the admin's role assignment)"],
      entraRoles: ["Global Reader (or the Graph permissions above)"],
    },
    write: {
      graph: ["User.ReadWrite.All", "RoleManagement.ReadWrite.Directory (assigns the admin's read-only role)"],
      entraRoles: [
        "User Administrator (or User.ReadWrite.All) to create the users and assign the worker's licence",
        "Privileged Role Administrator (or RoleManagement.ReadWrite.Directory) to assign directory roles",
      ],
    },
  }),
  mailboxLicensePermissions,
);
