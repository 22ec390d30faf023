import type * as pulumi from "@pulumi/pulumi";
import { isNotFound, type ExchangeObject, type ExchangeTarget } from "../../../m365/exchange-admin-api";
import { LEGACY_IMPERSONATION_ROLE } from "../../../m365/exchange-facts";
import { adoptOrCreate, asRecorded, changedProperties, exchangeInputFailures, getOptional, gone, readingBack, referenceIds, removeIfPresent } from "../objects";

export interface RoleAssignmentInputs extends ExchangeTarget {
  /** Name of the assignment in Exchange. */
  name: string;
  role: string;
  /** The app's Entra service principal object id (RBAC for Applications), or … */
  app?: string;
  /** … a user principal name (the legacy ApplicationImpersonation procedure). */
  user?: string;
  customResourceScope?: string;
  /** Set on an app's assignment without `customResourceScope`: the stack's recorded decision (exchangeAccess.allMailboxes) that it reaches every mailbox. */
  allMailboxes?: boolean;
}

/**
 * An existing assignment shows an app assignee as the Exchange service principal's identity, not
 * the id it was made with (docs/exchange.md): compare with every id that reference has.
 */
async function assigneeDifferences(inputs: RoleAssignmentInputs, existing: ExchangeObject): Promise<string[]> {
  const shown = String(existing.RoleAssignee ?? "");
  if (!inputs.app) return shown.toLowerCase() === (inputs.user ?? "").toLowerCase() ? [] : [`RoleAssignee is "${shown}" there, "${inputs.user}" here`];
  const servicePrincipal = await getOptional(inputs, "Get-ServicePrincipal", inputs.app);
  if (referenceIds(servicePrincipal).some((id) => id.toLowerCase() === shown.toLowerCase())) return [];
  const known = servicePrincipal
    ? `Exchange service principal ${String(servicePrincipal.Identity ?? inputs.app)}`
    : `service principal ${inputs.app}, which Exchange does not know`;
  return [`RoleAssignee is "${shown}" (${String(existing.RoleAssigneeName ?? existing.RoleAssigneeType ?? "")}) there, the ${known} here`];
}

/** `New-ManagementRoleAssignment` of a role to Retain's app (or, legacy, to the worker user). */
export const roleAssignmentProvider: pulumi.dynamic.ResourceProvider<RoleAssignmentInputs, RoleAssignmentInputs> = {
  async check(_olds, news) {
    const failures = exchangeInputFailures(news, ["name", "role"]);
    if (!news.app === !news.user) failures.push({ property: "app", reason: "exactly one of app and user must be set" });
    return { inputs: news, failures };
  },
  async create(inputs) {
    const assignee = inputs.app ? { App: inputs.app } : { User: inputs.user };
    try {
      await adoptOrCreate(inputs, {
        kind: "management role assignment",
        identity: inputs.name,
        getCmdlet: "Get-ManagementRoleAssignment",
        newCmdlet: "New-ManagementRoleAssignment",
        newParameters: {
          Name: inputs.name,
          Role: inputs.role,
          ...assignee,
          ...(inputs.customResourceScope ? { CustomResourceScope: inputs.customResourceScope } : {}),
        },
        wanted: { Role: inputs.role, RoleAssigneeType: inputs.app ? "ServicePrincipal" : "User", CustomResourceScope: inputs.customResourceScope },
        moreDifferences: (existing) => assigneeDifferences(inputs, existing),
      });
    } catch (error) {
      if (inputs.role === LEGACY_IMPERSONATION_ROLE && isNotFound(error)) {
        throw new Error(
          `Exchange Online has no ${LEGACY_IMPERSONATION_ROLE} role any more: Microsoft removed it in February 2025 (message center MC718754). ` +
            `Set retain-m365:exchangeAccess.mode to application-rbac, which gives Retain's app the Application EWS.AccessAsApp role instead. ` +
            `(${(error as Error).message})`,
        );
      }
      throw error;
    }
    return { id: inputs.name, outs: inputs };
  },
  /**
   * A refresh: the assignment as Exchange has it. A scope set or taken off by hand
   * (`Set-ManagementRoleAssignment -CustomResourceScope`), another role or another assignee shows as
   * that value, which the next deployment replaces; a removed assignment is gone.
   */
  async read(id, props) {
    const state = props as RoleAssignmentInputs;
    return readingBack(async () => {
      const live = await getOptional(state, "Get-ManagementRoleAssignment", state.name);
      if (!live) return gone();
      const seen: RoleAssignmentInputs = { ...state, role: asRecorded(state.role, live.Role) };
      const scope = asRecorded(state.customResourceScope ?? "", live.CustomResourceScope);
      if (scope !== (state.customResourceScope ?? "")) seen.customResourceScope = scope;
      if ((await assigneeDifferences(state, live)).length > 0) seen[state.app ? "app" : "user"] = String(live.RoleAssignee ?? "");
      return { id, props: seen };
    });
  },
  async diff(_id, olds, news) {
    const replaces = changedProperties({ ...olds }, { ...news }, ["tenantId", "name", "role", "app", "user", "customResourceScope"]);
    // Same name: the old assignment has to go before the new one can be made.
    return { changes: replaces.length > 0 || olds.exchangeEndpoint !== news.exchangeEndpoint, replaces, deleteBeforeReplace: true };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
  async delete(_id, props) {
    await removeIfPresent(props, "Remove-ManagementRoleAssignment", props.name);
  },
};
