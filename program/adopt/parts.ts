import { EWS_ENFORCE_SETTING, NAMESPACE } from "../../config/schema";
import { scopeName } from "../../components/exchange/exchange-access";
import { READ_ONLY_DIRECTORY_ROLES } from "../../m365/entra";
import { ewsShutdown, reliesOnEws } from "../../m365/ews-retirement";
import type { TenantConfig } from "../../config/schema";
import type { PlanStep } from "../plan";
import type { AdoptSources, DiscoveryContext, DiscoveryPart } from "./adopt";
import { discoverApplication } from "./application";
import { discoverDns } from "./dns";
import { discoverExchange, type ExchangeDiscoveryInputs } from "./exchange";
import type { Discovery } from "./findings";
import { discoverUsers } from "./users";

const discoverAccounts: DiscoveryPart = ({ config, sources, urnOf, stack }) =>
  discoverUsers(
    sources.graph,
    {
      admin: {
        resourceName: `${stack}-accounts-admin`,
        userPrincipalName: config.adminUser.userPrincipalName,
        displayName: config.adminUser.displayName,
        accountEnabled: config.adminUser.signIn,
        directoryRole: { resourceName: `${stack}-accounts-admin-role`, roleTemplateId: READ_ONLY_DIRECTORY_ROLES[config.adminUser.directoryRole] },
      },
      worker: { resourceName: `${stack}-accounts-worker`, userPrincipalName: config.workerUser.userPrincipalName, displayName: config.workerUser.displayName, accountEnabled: true },
    },
    urnOf,
    { admin: `${NAMESPACE}:adminUser.userPrincipalName`, worker: `${NAMESPACE}:workerUser.userPrincipalName` },
  );

const discoverExchangeAccess: DiscoveryPart = ({ sources, urnOf, steps }) => discoverExchange(sources.exchange, exchangeInputs(steps), urnOf);

/**
 * Exchange as the deploy reads it before declaring anything: the scope, its group and the EWS
 * allow list, whose conflicts stay conflicts after a first deploy. Role assignments are left to
 * their provider: once deployed, ours is held by an app the discovery cannot name beforehand.
 */
const discoverExchangeBeforeDeploy: DiscoveryPart = ({ config, sources, urnOf, stack }) => {
  const access = config.exchangeAccess;
  const name = `${stack}-exchange`;
  const scopeGroup = access.mode === "application-rbac" ? access.scopeGroup : undefined;
  return discoverExchange(
    sources.exchange,
    {
      roleAssignments: [],
      scope: scopeGroup ? { group: { resourceName: `${name}-scope-group`, name: scopeGroup }, scope: { resourceName: `${name}-scope`, name: scopeName(scopeGroup) } } : undefined,
      ewsAllowList: access.ewsAllowList ? { resourceName: `${name}-ews-allow-list`, ...access.ewsAllowList, enforceSetting: EWS_ENFORCE_SETTING } : undefined,
    },
    urnOf,
  );
};

/** EWS's end, for a stack whose Retain reaches mailboxes through EWS: a dated notice with the days left. */
const ewsEnd: DiscoveryPart = async ({ config }) => ({ findings: [], notices: reliesOnEws(config.exchangeAccess) ? [ewsShutdown("global").notice] : [] });

/** Retain's app registration: always created; registrations of the same display name are a notice. */
const discoverRetainApplication: DiscoveryPart = ({ config, sources, urnOf, stack }) =>
  discoverApplication(sources.graph, { resourceName: `${stack}-app-registration`, displayName: config.application.displayName, displayNameKey: `${NAMESPACE}:application.displayName` }, urnOf);

/** What `retain-m365 adopt` reads: the zones, the directory, Retain's app, Exchange; and what it says of EWS's end. */
export const DISCOVERY_PARTS: readonly DiscoveryPart[] = [discoverDns, discoverAccounts, discoverRetainApplication, discoverExchangeAccess, ewsEnd];

/**
 * What `pulumi up` reads before declaring anything: what it imports or leaves (records, users),
 * the notices it warns with (EWS's end among them), and the conflicts that must stop it (those of Exchange too; Exchange's objects themselves are
 * taken over by their providers on create, the EWS list merged by its own).
 */
export async function discoverForDeploy(stack: string, config: TenantConfig, sources: AdoptSources): Promise<Discovery> {
  const context: DiscoveryContext = { stack, config, sources, urnOf: (name) => name, steps: [] };
  const parts = await Promise.all([discoverDns(context), discoverAccounts(context), discoverExchangeBeforeDeploy(context), ewsEnd(context)]);
  return { findings: parts.flatMap((p) => p.findings), notices: parts.flatMap((p) => p.notices), left: parts.flatMap((p) => p.left ?? []) };
}

/** The plan's Exchange resources with the inputs the discovery compares. */
function exchangeInputs(steps: readonly PlanStep[]): ExchangeDiscoveryInputs {
  const ofType = (type: string) => steps.filter((step) => step.newState.type === `pulumi-nodejs:dynamic/exchange:${type}`);
  const nameOf = (step: PlanStep) => step.urn.slice(step.urn.lastIndexOf("::") + 2);
  const text = (step: PlanStep, input: string) => String(step.newState.inputs[input] ?? "");
  const [servicePrincipal] = ofType("ServicePrincipal");
  const [group] = ofType("SecurityGroup");
  const [scope] = ofType("ManagementScope");
  const [allowList] = ofType("EwsAllowListEntry");
  return {
    servicePrincipal: servicePrincipal && { resourceName: nameOf(servicePrincipal), displayName: text(servicePrincipal, "displayName") },
    scope: group && scope ? { group: { resourceName: nameOf(group), name: text(group, "name") }, scope: { resourceName: nameOf(scope), name: text(scope, "name") } } : undefined,
    roleAssignments: ofType("RoleAssignment").map((step) => ({
      resourceName: nameOf(step),
      name: text(step, "name"),
      role: text(step, "role"),
      ...(step.newState.inputs.user ? { user: text(step, "user") } : {}),
    })),
    ewsAllowList: allowList && {
      resourceName: nameOf(allowList),
      enforce: allowList.newState.inputs.enforce === true,
      alsoAllow: (allowList.newState.inputs.alsoAllow as string[] | undefined) ?? [],
      enforceSetting: text(allowList, "enforceSetting"),
    },
  };
}
