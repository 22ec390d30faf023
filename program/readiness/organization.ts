import { EWS_ENFORCE_SETTING, NAMESPACE } from "../../config/schema";
import { listed, type OrganizationEws } from "../../components/exchange/ews-allow-list";
import { isRegularAssignment, referenceIds } from "../../components/exchange/objects";
import { EMPTY_ALLOW_LIST_BLOCKS_SINCE } from "../../m365/ews-retirement";
import type { ExchangeObject } from "../../m365/exchange-admin-api";
import { EWS_ACCESS_ROLE } from "../../m365/exchange-facts";
import { isArchivingRole } from "../../m365/mail-access";
import type { RetainApp, UnscopedGrant } from "./retain-app";
import type { OrganizationReadiness } from "./report";

/** What readiness learned about the organization, the app and its grants. */
export interface OrganizationFacts {
  ews: OrganizationEws;
  app: RetainApp;
  /** Null when the app has no service principal to hold any. */
  grants: UnscopedGrant[] | null;
  exchangeServicePrincipals: ExchangeObject[];
  assignments: ExchangeObject[];
  mode: string;
  scopeGroup: string | undefined;
  missingScopeGroup: boolean;
}

const setting = (path: string) => `${NAMESPACE}:exchangeAccess.${path}`;
const same = (a: unknown, b: unknown) => String(a ?? "").toLowerCase() === String(b ?? "").toLowerCase();
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Does the organization let Retain's app through EWS, and only to the mailboxes in scope? One sentence per obstacle. */
export function organizationReadiness(facts: OrganizationFacts): { organization: OrganizationReadiness; notices: string[] } {
  const { ews, app } = facts;
  const problems = [...ewsProblems(ews, app), ...entraProblems(facts), ...exchangeRoleProblems(facts)];
  const notices =
    ews.enabled === null
      ? [
          "The organization has never set EwsEnabled, so EWS is open to every application today; Microsoft sets such tenants to False after a 7-day notice (MC1227454), " +
            `which would lock Retain out: put the allow list in force with Retain's app id before that (${EWS_ENFORCE_SETTING}).`,
        ]
      : [];
  return {
    organization: {
      ewsEnabled: ews.enabled,
      retainListed: listed(ews.allowed, app.appId),
      allowListSize: ews.allowed.length,
      problem: problems.length > 0 ? problems.join(" ") : null,
    },
    notices,
  };
}

function ewsProblems(ews: OrganizationEws, app: RetainApp): string[] {
  if (ews.enabled === false) {
    return [
      `EWS is turned off for the whole organization (EwsEnabled False), so Exchange refuses Retain's app at every mailbox: put the allow list in force with Retain's app id (${EWS_ENFORCE_SETTING} true) and deploy.`,
    ];
  }
  if (ews.enabled !== true) return [];
  if (ews.allowed.length === 0) {
    return [
      `EwsEnabled is True with an empty EWS allow list: Microsoft's Set-OrganizationConfig reference reads that as no restriction by app id, but in the worldwide cloud it has blocked all EWS since ${EMPTY_ALLOW_LIST_BLOCKS_SINCE}, ` +
        `so Retain's app is refused; ${EWS_ENFORCE_SETTING} is the decision (true lists Retain's app and the alsoAllow ids on the next deploy).`,
    ];
  }
  if (listed(ews.allowed, app.appId)) return [];
  return [
    `The organization's EWS allow list is in force (EwsEnabled True) with ${plural(ews.allowed.length, "application id")}, none of them Retain's (${app.appId}), so Exchange refuses Retain's app: ` +
      `set ${setting("ewsAllowList")} to true and deploy (Retain's id is added, the others kept).`,
  ];
}

function entraProblems(facts: OrganizationFacts): string[] {
  const { app, grants, scopeGroup } = facts;
  if (grants === null)
    return [`Retain's application "${app.displayName}" (${app.appId}) has no service principal in this tenant, so it cannot sign in: deploy the stack.`];
  if (grants.length === 0) return [];
  const list = joined(grants.map((g) => `${g.permission} (${g.resource})`));
  const reach = scopeGroup ? `past the management scope of "${scopeGroup}" (permissions add up)` : "through Entra, beside the Exchange role the stack grants";
  return [
    `Retain's app holds the application permission${grants.length === 1 ? "" : "s"} ${list} consented in Entra, which reach${grants.length === 1 ? "es" : ""} every mailbox of the organization ${reach}: ` +
      `remove ${grants.length === 1 ? "it" : "them"} from "${app.displayName}" (Entra admin center, Enterprise applications, Permissions)${scopedInstead(grants, scopeGroup !== undefined)}.`,
  ];
}

const joined = (items: string[]) => (items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)!}`);

/**
 * What grants the same within the scope: the Exchange roles to list in exchangeAccess.roles
 * instead, and the scoped roles that write, which the stack does not take.
 */
function scopedInstead(grants: UnscopedGrant[], scoped: boolean): string {
  const reads = grants.filter((g) => g.scopedRole !== null && isArchivingRole(g.scopedRole));
  const writes = grants.filter((g) => g.scopedRole !== null && !isArchivingRole(g.scopedRole));
  const roles = [...new Set(reads.map((g) => `"${g.scopedRole!}"`))];
  let text =
    roles.length === 0
      ? `, and keep Exchange's ${EWS_ACCESS_ROLE} role`
      : `, and grant the same through Exchange instead${scoped ? ", within the scope" : ""}: list ${joined(roles)} in ${setting("roles")} ` +
        `(the scoped role${roles.length === 1 ? "" : "s"} for ${joined(reads.map((g) => g.permission))}) and deploy`;
  if (writes.length > 0) {
    const named = joined(writes.map((g) => `${g.permission} (scoped: ${g.scopedRole!})`));
    text += `; ${named} ${writes.length === 1 ? "changes" : "change"} mailboxes, which an archiver never needs, so ${setting("roles")} takes no such role`;
  }
  return text;
}

/** Retain's Exchange role assignments: an EWS role at all, and (with a scope group) none without the scope. */
function exchangeRoleProblems(facts: OrganizationFacts): string[] {
  const { app, scopeGroup } = facts;
  const problems: string[] = [];
  if (facts.missingScopeGroup) {
    problems.push(
      `The scope group "${scopeGroup ?? ""}" does not exist in Exchange, so Retain's scoped role reaches no mailbox: deploy the stack, which creates it, and add the mailboxes to archive.`,
    );
  }
  const servicePrincipal = facts.exchangeServicePrincipals.find((sp) => same(sp.AppId, app.appId));
  const ids = servicePrincipal ? referenceIds(servicePrincipal) : [];
  const retains = facts.assignments.filter((a) => ids.some((id) => same(id, a.RoleAssignee)) && isRegularAssignment(a));
  if (!retains.some((a) => same(a.Role, EWS_ACCESS_ROLE))) {
    const unknown = servicePrincipal ? "" : ` (Get-ServicePrincipal lists no app ${app.appId})`;
    const fix =
      facts.mode === "application-rbac"
        ? `deploy the stack with ${EWS_ACCESS_ROLE} in ${setting("roles")}`
        : `set ${setting("mode")} to application-rbac (Exchange Online removed ApplicationImpersonation in February 2025) and deploy`;
    problems.push(`Exchange gives Retain's app no ${EWS_ACCESS_ROLE} role${unknown}, so EWS refuses it: ${fix}.`);
  }
  if (scopeGroup) {
    for (const unscoped of retains.filter((a) => !String(a.CustomResourceScope ?? ""))) {
      problems.push(
        `Exchange gives Retain's app the role "${String(unscoped.Role)}" through the assignment "${String(unscoped.Name)}" without a management scope, so it reaches every mailbox, not only the members of "${scopeGroup}": ` +
          `remove it (Remove-ManagementRoleAssignment -Identity "${String(unscoped.Name)}") and deploy, which assigns the role with the scope.`,
      );
    }
  }
  return problems;
}
