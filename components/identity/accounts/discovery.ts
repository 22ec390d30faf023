import type { Client } from "@microsoft/microsoft-graph-client";
import { ExitCode, UserFacingError } from "../../../core/errors";
import { READ_ONLY_DIRECTORY_ROLES } from "../../../m365/entra";
import { withGraphRetry } from "../../../m365/graph-client";
import type { Discovery, Finding, UrnOf } from "../../discovery";
import { retainAccountsNames, type RetainAccountsArgs } from "./index";

/** A user the plan declares (`azuread:index/user:User`), by its resource name. */
export interface DeclaredUser {
  resourceName: string;
  userPrincipalName: string;
  displayName: string;
  /** Whether the stack lets it sign in (the admin: retain-m365:adminUser.signIn; the worker: always). */
  accountEnabled: boolean;
  /** The directory role the user is given (the admin's read-only role), by its resource and template id. */
  directoryRole?: { resourceName: string; roleTemplateId: string };
}

export type AccountRole = "admin" | "worker";

/** The configuration keys a finding names: each user's, and the one that lets the admin sign in. */
export type AccountKeys = Record<AccountRole, string> & { adminSignIn: string };

/**
 * The two users a RetainAccounts of this name declares with these arguments, named as it names them
 * (retainAccountsNames): the admin with its sign-in as declared and its directory role, the worker enabled.
 */
export function declaredAccounts(name: string, args: Pick<RetainAccountsArgs, "admin" | "worker">): Record<AccountRole, DeclaredUser> {
  const names = retainAccountsNames(name);
  const { admin, worker } = args;
  return {
    admin: {
      resourceName: names.admin,
      userPrincipalName: admin.userPrincipalName,
      displayName: admin.displayName,
      accountEnabled: admin.signIn === true,
      directoryRole: { resourceName: names.adminRole, roleTemplateId: READ_ONLY_DIRECTORY_ROLES[admin.directoryRole] },
    },
    worker: { resourceName: names.worker, userPrincipalName: worker.userPrincipalName, displayName: worker.displayName, accountEnabled: true },
  };
}

interface ExistingUser {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  accountEnabled: boolean | null;
  userType: string | null;
}

/** What reading the declared users asks of Graph. */
export const USER_READ_PERMISSION = "User.Read.All";

const ROLE_LABEL: Record<AccountRole, string> = { admin: "directory-sync admin", worker: "worker" };

/**
 * The admin and the worker as the tenant has them: each absent (created), an enabled member account
 * (adopted by its object id, azuread's import id) or an account the stack should not take over.
 */
export async function discoverUsers(graph: Client, users: Record<AccountRole, DeclaredUser>, urnOf: UrnOf, keys: AccountKeys): Promise<Discovery> {
  const findings: Finding[] = [];
  const notices: string[] = [];
  for (const role of ["admin", "worker"] as const) {
    const declared = users[role];
    const existing = await readUser(graph, declared.userPrincipalName);
    const urn = urnOf(declared.resourceName);
    if (!existing) {
      findings.push({
        urn,
        action: "create",
        detail: `No user ${declared.userPrincipalName} exists: the deploy creates the ${ROLE_LABEL[role]} with a generated password.`,
      });
      continue;
    }
    const problems = [
      ...(existing.accountEnabled === false && declared.accountEnabled ? ["is disabled (accountEnabled false), and the deploy would enable it"] : []),
      ...(existing.userType === "Member"
        ? []
        : [
            existing.userType === "Guest"
              ? "is a guest (userType Guest), not a member of the organization"
              : `has userType ${existing.userType ?? "unset"}, not Member`,
          ]),
    ];
    const found = `User ${existing.userPrincipalName} exists (object id ${existing.id})`;
    if (problems.length > 0) {
      findings.push({
        urn,
        action: "conflict",
        decide: keys[role],
        detail: `${found} but ${problems.join(" and ")}: it is not the account the stack declares as the ${ROLE_LABEL[role]}. Pick another account in ${keys[role]}, or fix this one by hand.`,
      });
    } else {
      findings.push({ urn, action: "adopt", importId: `/users/${existing.id}`, detail: `${found}: ${takeOver(existing, declared, keys.adminSignIn)}` });
      if (declared.directoryRole) findings.push(await roleFinding(graph, existing, declared.directoryRole, urnOf));
    }
    if (role === "worker" && existing.accountEnabled === false) {
      notices.push(
        `The worker ${existing.userPrincipalName} is a disabled account, as the account behind a shared mailbox or a departed user's mailbox is: ` +
          `enabling it with a password would let anyone holding that password sign in to that mailbox.`,
      );
    }
  }
  return { findings, notices };
}

/**
 * An adopted user's directory role: assigned tenant-wide already (adopted by its assignment id; a
 * second one would be refused) or not. Only the directory scope `/` counts: an assignment of the
 * same role scoped to an administrative unit (`/administrativeUnits/{id}`) is another object, and
 * the stack declares the tenant-wide one (no administrative unit in its DirectoryRoleAssignment).
 */
async function roleFinding(graph: Client, user: ExistingUser, role: NonNullable<DeclaredUser["directoryRole"]>, urnOf: UrnOf): Promise<Finding> {
  const urn = urnOf(role.resourceName);
  const filter = `principalId eq '${user.id}' and roleDefinitionId eq '${role.roleTemplateId}' and directoryScopeId eq '/'`;
  const path = "/roleManagement/directory/roleAssignments";
  const assignments = await withGraphRetry(
    `Microsoft Graph GET ${path}`,
    async () => ((await graph.api(path).filter(filter).get()) as { value?: { id: string }[] }).value ?? [],
  );
  const [assignment] = assignments;
  return assignment
    ? {
        urn,
        action: "adopt",
        importId: assignment.id,
        detail: `${user.userPrincipalName} holds the directory role ${role.roleTemplateId} tenant-wide already (assignment ${assignment.id}): the deploy takes the assignment over.`,
      }
    : {
        urn,
        action: "create",
        detail: `${user.userPrincipalName} does not hold the directory role ${role.roleTemplateId} tenant-wide yet: the deploy assigns it.`,
      };
}

function takeOver(existing: ExistingUser, declared: DeclaredUser, signInKey: string): string {
  const updates: string[] = [];
  if (existing.displayName !== declared.displayName) updates.push(`its display name from "${existing.displayName ?? ""}" to "${declared.displayName}"`);
  if (existing.userPrincipalName !== declared.userPrincipalName)
    updates.push(`its user principal name from ${existing.userPrincipalName} to ${declared.userPrincipalName}`);
  if (existing.accountEnabled !== false && !declared.accountEnabled) updates.push(`blocks its sign-in (accountEnabled false; ${signInKey}: true keeps it)`);
  return (
    `the deploy takes it over and sets its password once to a generated one, which replaces its current password: ` +
    `whoever or whatever signs in with the current password is locked out` +
    (updates.length > 0 ? `; it also changes ${updates.join(" and ")}.` : ".")
  );
}

/** `GET /users/{upn}`; undefined when Graph has no such user. */
async function readUser(graph: Client, userPrincipalName: string): Promise<ExistingUser | undefined> {
  // "#" and "^" may appear in a user principal name and must be escaped in a path; "@" need not be.
  const path = `/users/${encodeURIComponent(userPrincipalName).replace(/%40/g, "@")}`;
  try {
    return await withGraphRetry(`Microsoft Graph GET ${path}`, async () => {
      try {
        return (await graph.api(path).select(["id", "userPrincipalName", "displayName", "accountEnabled", "userType"]).get()) as ExistingUser;
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      }
    });
  } catch (error) {
    if (error instanceof UserFacingError && error.exitCode === ExitCode.auth) {
      throw new UserFacingError(
        `${error.message.replace(/\.$/, "")}. Reading the declared users needs the Graph permission ${USER_READ_PERMISSION} (or the Entra role Global Reader).`,
        ExitCode.auth,
      );
    }
    throw error;
  }
}
