import * as pulumi from "@pulumi/pulumi";
import type { TenantConfig } from "../../config/schema";
import { EwsAllowListEntry } from "./ews-allow-list";
import { ManagementScope, memberOfGroupFilter, SecurityGroup } from "./management-scope";
import { LEGACY_IMPERSONATION_ROLE, RoleAssignment } from "./role-assignment";
import { ExchangeServicePrincipal } from "./service-principal";
import { permissions } from "../permissions";

export interface ExchangeAccessArgs {
  tenantId: pulumi.Input<string>;
  access: TenantConfig["exchangeAccess"];
  /** Retain's Entra app: client id, service principal object id and display name. */
  app: { clientId: pulumi.Input<string>; servicePrincipalObjectId: pulumi.Input<string>; displayName: pulumi.Input<string> };
  /** The worker's user principal name (legacy mode only). */
  workerUserPrincipalName: pulumi.Input<string>;
  exchangeEndpoint?: pulumi.Input<string>;
  /** The setting named when the EWS allow list is not in force and the deployment will not put it there. */
  ewsEnforceSetting?: string;
}

/** Needed to deploy `ExchangeAccess` (through the Exchange admin API, as the deploying app). */
export const exchangeAccessPermissions = permissions({
  exchange: ["Exchange.ManageAsApp on Office 365 Exchange Online (00000002-0000-0ff1-ce00-000000000000)"],
  entraRoles: ["Exchange Administrator, held by the deploying identity"],
});

/** Argument checks, pure so tests can call them without the Pulumi runtime. */
export function checkExchangeAccessArgs(args: ExchangeAccessArgs): string[] {
  const { access } = args;
  const problems: string[] = [];
  if (access.mode === "application-rbac" && access.roles.length === 0) problems.push("application-rbac needs at least one role");
  if (access.mode === "application-impersonation" && (access.roles.length > 0 || access.scopeGroup)) {
    problems.push("roles and scopeGroup apply only to application-rbac");
  }
  return problems;
}

/** Role assignment names: one per role, readable in the Exchange admin center. */
export function assignmentName(role: string): string {
  return `Retain ${role}`.slice(0, 64);
}

/**
 * Exchange Online access for Retain. `application-rbac`: Retain's app registered as an Exchange
 * service principal, optionally scoped to a group's members, holding each configured application
 * role. `application-impersonation`: the original procedure's role for the worker, which Exchange
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
    const { access } = args;

    if (access.mode === "application-rbac") {
      const servicePrincipal = new ExchangeServicePrincipal(
        `${name}-service-principal`,
        { ...target, appId: args.app.clientId, objectId: args.app.servicePrincipalObjectId, displayName: args.app.displayName },
        child,
      );
      let scope: ManagementScope | undefined;
      if (access.scopeGroup) {
        const group = new SecurityGroup(`${name}-scope-group`, { ...target, name: access.scopeGroup }, child);
        scope = new ManagementScope(
          `${name}-scope`,
          { ...target, name: `${access.scopeGroup} (Retain)`.slice(0, 64), recipientRestrictionFilter: group.distinguishedName.apply(memberOfGroupFilter) },
          child,
        );
      }
      this.assignments = access.roles.map(
        (role) =>
          new RoleAssignment(
            `${name}-role-${role.replace(/^Application /, "")}`,
            { ...target, name: assignmentName(role), role, app: servicePrincipal.objectId, customResourceScope: scope?.name },
            child,
          ),
      );
    } else {
      this.assignments = [
        new RoleAssignment(
          `${name}-impersonation`,
          { ...target, name: assignmentName(LEGACY_IMPERSONATION_ROLE), role: LEGACY_IMPERSONATION_ROLE, user: args.workerUserPrincipalName },
          child,
        ),
      ];
    }
    if (access.ewsAllowList) {
      new EwsAllowListEntry(
        `${name}-ews-allow-list`,
        { ...target, appId: args.app.clientId, ...access.ewsAllowList, enforceSetting: args.ewsEnforceSetting ?? "enforce" },
        child,
      );
    }

    this.registerOutputs({});
  }
}
