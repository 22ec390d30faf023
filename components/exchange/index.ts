import * as pulumi from "@pulumi/pulumi";
import { LEGACY_IMPERSONATION_ROLE, type ArchivingApplicationRole } from "../../m365/exchange-facts";
import { EwsAllowListEntry } from "./ews-allow-list";
import { ManagementScope, memberOfGroupFilter } from "./management-scope";
import { RoleAssignment } from "./role-assignment";
import { SecurityGroup } from "./security-group";
import { ExchangeServicePrincipal } from "./service-principal";

/**
 * `application-rbac`: Exchange's RBAC for Applications roles for Retain's app.
 * `application-impersonation`: the original procedure's ApplicationImpersonation role for the worker.
 */
export type ExchangeAccessMode = "application-rbac" | "application-impersonation";

/** Retain's app in the organization's EWS app-id allow list. */
export interface EwsAllowListArgs {
  /** Put the list in force where it is not: from then on ONLY listed applications reach EWS (default false). */
  enforce?: pulumi.Input<boolean>;
  /** Other applications that must keep EWS once the list is in force: added, never removed. */
  alsoAllow?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface ExchangeAccessArgs {
  tenantId: pulumi.Input<string>;
  mode: ExchangeAccessMode;
  /** The roles Retain's app gets (`application-rbac` only, at least one), from the archiving roles. Each gives full access to the mailboxes in reach. */
  roles?: readonly ArchivingApplicationRole[];
  /** A mail-enabled security group whose members alone the roles reach (`application-rbac` only; this or `allMailboxes`). */
  scopeGroup?: string;
  /** The admin's decision that the roles reach every mailbox, unscoped (`application-rbac` only; this or `scopeGroup`). */
  allMailboxes?: boolean;
  /** Omitted: the organization's EWS allow list is left alone. */
  ewsAllowList?: EwsAllowListArgs;
  /** Retain's Entra app: client id, service principal object id and display name. */
  app: { clientId: pulumi.Input<string>; servicePrincipalObjectId: pulumi.Input<string>; displayName: pulumi.Input<string> };
  /** The worker's user principal name (legacy mode only). */
  workerUserPrincipalName: pulumi.Input<string>;
  exchangeEndpoint?: pulumi.Input<string>;
  /** The setting named when the EWS allow list is not in force and the deployment will not put it there. */
  ewsEnforceSetting?: string;
}

/** Argument checks, pure so tests can call them without the Pulumi runtime. */
export function checkExchangeAccessArgs(args: ExchangeAccessArgs): string[] {
  const roles = args.roles ?? [];
  const problems: string[] = [];
  if (args.mode === "application-rbac" && roles.length === 0) problems.push("application-rbac needs at least one role");
  if (args.mode === "application-rbac" && !args.scopeGroup === !args.allMailboxes) {
    problems.push(
      "application-rbac needs exactly one of scopeGroup (the mailboxes Retain's app reaches) and allMailboxes: true (the decision that it reaches every mailbox)",
    );
  }
  if (args.mode === "application-impersonation" && (roles.length > 0 || args.scopeGroup || args.allMailboxes)) {
    problems.push("roles, scopeGroup and allMailboxes apply only to application-rbac");
  }
  return problems;
}

/** The management scope limited to a group's members, named after the group. */
export function scopeName(group: string): string {
  return `${group} (Retain)`.slice(0, 64);
}

/** Role assignment names: one per role, readable in the Exchange admin center. */
export function assignmentName(role: string): string {
  return `Retain ${role}`.slice(0, 64);
}

/**
 * The names of ExchangeAccess's resources, from the component's name: the declaration below and its
 * discovery (discovery.ts) both take them from here, so `adopt`'s findings carry the urns the plan shows.
 */
export function exchangeAccessNames(name: string) {
  return {
    servicePrincipal: `${name}-service-principal`,
    scopeGroup: `${name}-scope-group`,
    scope: `${name}-scope`,
    /** An application role's assignment (application-rbac). */
    role: (role: string) => `${name}-role-${role.replace(/^Application /, "")}`,
    /** The worker's ApplicationImpersonation assignment (application-impersonation). */
    impersonation: `${name}-impersonation`,
    ewsAllowList: `${name}-ews-allow-list`,
  };
}

/**
 * Exchange Online access for Retain. `application-rbac`: Retain's app registered as an Exchange
 * service principal, scoped to a group's members (or, as the admin decided, to every mailbox),
 * holding each configured application role; an unscoped assignment carries `allMailboxes: true`,
 * the decision the policy pack looks for. `application-impersonation`: the original procedure's role for the worker, which Exchange
 * Online refuses since 2025. Either mode can add the app to the EWS allow list.
 */
export class ExchangeAccess extends pulumi.ComponentResource {
  readonly assignments: RoleAssignment[];

  constructor(name: string, args: ExchangeAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("retain-m365:exchange:ExchangeAccess", name, {}, opts);
    const problems = checkExchangeAccessArgs(args);
    if (problems.length > 0) throw new Error(`ExchangeAccess ${name}: ${problems.join("; ")}`);
    const target = { tenantId: args.tenantId, exchangeEndpoint: args.exchangeEndpoint };
    const child = { parent: this };
    const { scopeGroup, ewsAllowList } = args;
    const names = exchangeAccessNames(name);

    if (args.mode === "application-rbac") {
      const servicePrincipal = new ExchangeServicePrincipal(
        names.servicePrincipal,
        { ...target, appId: args.app.clientId, objectId: args.app.servicePrincipalObjectId, displayName: args.app.displayName },
        child,
      );
      let scope: ManagementScope | undefined;
      if (scopeGroup) {
        const group = new SecurityGroup(names.scopeGroup, { ...target, name: scopeGroup }, child);
        scope = new ManagementScope(
          names.scope,
          { ...target, name: scopeName(scopeGroup), recipientRestrictionFilter: group.distinguishedName.apply(memberOfGroupFilter) },
          child,
        );
      }
      this.assignments = (args.roles ?? []).map(
        (role) =>
          new RoleAssignment(
            names.role(role),
            {
              ...target,
              name: assignmentName(role),
              role,
              app: servicePrincipal.objectId,
              ...(scope ? { customResourceScope: scope.name } : { allMailboxes: true }),
            },
            child,
          ),
      );
    } else {
      this.assignments = [
        new RoleAssignment(
          names.impersonation,
          { ...target, name: assignmentName(LEGACY_IMPERSONATION_ROLE), role: LEGACY_IMPERSONATION_ROLE, user: args.workerUserPrincipalName },
          child,
        ),
      ];
    }
    if (ewsAllowList) {
      new EwsAllowListEntry(
        names.ewsAllowList,
        { ...target, appId: args.app.clientId, ...ewsAllowList, enforceSetting: args.ewsEnforceSetting ?? "enforce" },
        child,
      );
    }

    this.registerOutputs({});
  }
}
