import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { READ_ONLY_DIRECTORY_ROLES, type DirectoryRoleName } from "../../m365/entra";
import { MailboxLicense, mailboxLicensePermissions } from "./mailbox-license";
import { combinePermissions, permissions } from "../permissions";

export interface AccountSpec {
  userPrincipalName: string;
  displayName: string;
  /** An existing user to take over, by azuread's import id `/users/<object id>`: Pulumi imports it, then sets what is declared, the password included. */
  importId?: string;
}

export interface RetainAccountsArgs {
  tenantId: pulumi.Input<string>;
  /**
   * The directory-sync admin and the read-only role it gets. It exists for Retain's own
   * sync365.ps1; the product's sync signs in as Retain's app, so the admin is created with sign-in
   * blocked unless `signIn` is true (retain-m365:adminUser.signIn).
   */
  admin: AccountSpec & { directoryRole: DirectoryRoleName; signIn?: boolean; /** An assignment of that role to an adopted admin, by its id: imported. */ roleImportId?: string };
  /** The mailbox-enabled worker; its licence gives it the mailbox. */
  worker: AccountSpec & { usageLocation: string; licenseSku: string };
  /** Changing this value generates new passwords for both users, and changes nothing else. */
  passwordRotation: string;
  /** Protect the users from deletion (default true). */
  protect?: boolean;
}

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

/** Argument checks, pure so tests can call them without the Pulumi runtime. */
export function checkRetainAccountsArgs(args: RetainAccountsArgs): string[] {
  const problems: string[] = [];
  if (!(args.admin.directoryRole in READ_ONLY_DIRECTORY_ROLES)) problems.push(`directory role "${args.admin.directoryRole}" is not a read-only role`);
  if (args.admin.userPrincipalName.toLowerCase() === args.worker.userPrincipalName.toLowerCase()) problems.push("the admin and the worker must be different users");
  if (!args.passwordRotation.trim()) problems.push("passwordRotation must not be empty");
  return problems;
}

/**
 * The two accounts of the original procedure: a directory-sync admin with a read-only role (sign-in
 * blocked unless the stack says otherwise) and a licensed, mailbox-enabled worker. Both have
 * generated passwords (Pulumi secrets) that never expire, so the worker log never fills with
 * "Invalid Password" after 90 days.
 */
export class RetainAccounts extends pulumi.ComponentResource {
  readonly admin: azuread.User;
  readonly worker: azuread.User;
  readonly adminPassword: pulumi.Output<string>;
  readonly workerPassword: pulumi.Output<string>;
  readonly adminRole: azuread.DirectoryRoleAssignment;
  readonly workerLicense: MailboxLicense;

  constructor(name: string, args: RetainAccountsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("retain-m365:identity:RetainAccounts", name, {}, opts);
    const problems = checkRetainAccountsArgs(args);
    if (problems.length > 0) throw new Error(`RetainAccounts ${name}: ${problems.join("; ")}`);

    const account = (role: "admin" | "worker", spec: AccountSpec, accountEnabled: boolean, usageLocation?: string) => {
      const password = new random.RandomPassword(
        `${name}-${role}-password`,
        {
          length: 32,
          special: true,
          overrideSpecial: "!#%*-_=+:?",
          minLower: 2,
          minUpper: 2,
          minNumeric: 2,
          minSpecial: 2,
          keepers: { rotation: args.passwordRotation },
        },
        { parent: this },
      );
      const secretPassword = pulumi.secret(password.result);
      const user = new azuread.User(
        `${name}-${role}`,
        {
          userPrincipalName: spec.userPrincipalName,
          displayName: spec.displayName,
          mailNickname: spec.userPrincipalName.slice(0, spec.userPrincipalName.lastIndexOf("@")),
          password: secretPassword,
          disablePasswordExpiration: true,
          forcePasswordChange: false,
          accountEnabled,
          usageLocation,
        },
        { parent: this, protect: args.protect ?? true, additionalSecretOutputs: ["password"], ...(spec.importId ? { import: spec.importId } : {}) },
      );
      return { user, password: secretPassword };
    };

    // Blocked by default: a never-expiring Global Reader password nobody uses is a standing risk.
    const admin = account("admin", args.admin, args.admin.signIn === true);
    const worker = account("worker", args.worker, true, args.worker.usageLocation);
    this.admin = admin.user;
    this.adminPassword = admin.password;
    this.worker = worker.user;
    this.workerPassword = worker.password;

    this.adminRole = new azuread.DirectoryRoleAssignment(
      `${name}-admin-role`,
      { roleId: READ_ONLY_DIRECTORY_ROLES[args.admin.directoryRole], principalObjectId: this.admin.objectId },
      { parent: this, ...(args.admin.roleImportId ? { import: args.admin.roleImportId } : {}) },
    );
    this.workerLicense = new MailboxLicense(
      `${name}-worker-license`,
      { tenantId: args.tenantId, userId: this.worker.objectId, skuPartNumber: args.worker.licenseSku },
      { parent: this },
    );

    this.registerOutputs({
      adminObjectId: this.admin.objectId,
      workerObjectId: this.worker.objectId,
      adminPassword: this.adminPassword,
      workerPassword: this.workerPassword,
    });
  }
}
