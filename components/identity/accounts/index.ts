import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { READ_ONLY_DIRECTORY_ROLES, type DirectoryRoleName } from "../../../m365/entra";
import { MailboxLicense } from "../mailbox-license";

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
  admin: AccountSpec & {
    directoryRole: DirectoryRoleName;
    signIn?: boolean;
    /** An assignment of that role to an adopted admin, by its id: imported. */ roleImportId?: string;
  };
  /** The mailbox-enabled worker; its licence gives it the mailbox. */
  worker: AccountSpec & { usageLocation: string; licenseSku: string };
  /** Changing this value generates new passwords for both users, and changes nothing else. */
  passwordRotation: string;
  /** Protect the users from deletion (default true). */
  protect?: boolean;
}

/** Argument checks, pure so tests can call them without the Pulumi runtime. */
export function checkRetainAccountsArgs(args: RetainAccountsArgs): string[] {
  const problems: string[] = [];
  if (!(args.admin.directoryRole in READ_ONLY_DIRECTORY_ROLES)) problems.push(`directory role "${args.admin.directoryRole}" is not a read-only role`);
  if (args.admin.userPrincipalName.toLowerCase() === args.worker.userPrincipalName.toLowerCase())
    problems.push("the admin and the worker must be different users");
  if (!args.passwordRotation.trim()) problems.push("passwordRotation must not be empty");
  return problems;
}

/**
 * The names of RetainAccounts's resources, from the component's name: the declaration below and its
 * discovery (discovery.ts) both take them from here, so `adopt`'s findings carry the urns the plan shows.
 */
export function retainAccountsNames(name: string) {
  return {
    admin: `${name}-admin`,
    adminRole: `${name}-admin-role`,
    worker: `${name}-worker`,
    workerLicense: `${name}-worker-license`,
    password: (role: "admin" | "worker") => `${name}-${role}-password`,
  };
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
    const names = retainAccountsNames(name);

    const account = (role: "admin" | "worker", spec: AccountSpec, accountEnabled: boolean, usageLocation?: string) => {
      const password = new random.RandomPassword(
        names.password(role),
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
        names[role],
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
      names.adminRole,
      { roleId: READ_ONLY_DIRECTORY_ROLES[args.admin.directoryRole], principalObjectId: this.admin.objectId },
      { parent: this, ...(args.admin.roleImportId ? { import: args.admin.roleImportId } : {}) },
    );
    this.workerLicense = new MailboxLicense(
      names.workerLicense,
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
