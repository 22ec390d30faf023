import { ADMIN_SIGN_IN_SETTING, NAMESPACE } from "../../config/defaults";
import type { TenantConfig } from "../../config/schema";
import type { Discovery } from "../../components/discovery";
import { discoverDomainDns, type DomainDnsSettings } from "../../components/dns/discovery";
import { dnsTxtLookup } from "../../components/dns/spf-lookups";
import { declaredExchangeObjects, discoverExchange, type ExchangeSettings } from "../../components/exchange/discovery";
import { declaredAccounts, discoverUsers } from "../../components/identity/accounts/discovery";
import { declaredApplication, discoverApplication } from "../../components/identity/application/discovery";
import { GraphServiceConfigurationRecordSource } from "../../m365/microsoft-dns-records/from-graph";
import { ewsShutdown, reliesOnEws } from "../../m365/ews-retirement";
import { complianceReader } from "../../components/compliance/reads";
import { preservationNames } from "../../components/compliance";
import { PRESERVATION_POLICY_NAME } from "../../components/compliance/retention-policy";
import { discoverRetentionPolicy, retentionLicenceWarning } from "../../components/compliance/retention-policy/discovery";
import { RETENTION_READ_ACCESS } from "../../components/compliance/retention-policy/permissions";
import { accountsArgs, declaredExchangeAccess, domainDnsArgs, tenantNames } from "../tenant";
import type { AdoptSources, DiscoveryContext, DiscoveryStep } from "./adopt";

// The steps of `adopt` (and of the deploy's reading before it declares anything): each asks the
// components concerned about themselves, giving each the name and the arguments the tenant gives
// it (tenant.ts), so every finding is keyed by the name the component gives its resource. Only the
// configuration's keys, named when a decision is needed, come from here.

/** The configuration key that holds the decision about one group of a domain's records. */
export function decisionKey(domainIndex: number, group: string): string {
  return `${NAMESPACE}:domains[${domainIndex}].onExisting.${group}`;
}

/** The configuration keys of a domain's findings and notices. */
const domainSettings = (domainIndex: number): DomainDnsSettings => ({
  decide: (group) => decisionKey(domainIndex, group),
  skypeForBusiness: `${NAMESPACE}:domains[${domainIndex}].skypeForBusinessRecords`,
});

const exchangeSetting = (path: string) => `${NAMESPACE}:exchangeAccess.${path}`;

/** The configuration keys of Exchange's findings and notices. */
export const EXCHANGE_SETTINGS: ExchangeSettings = {
  mode: exchangeSetting("mode"),
  roles: exchangeSetting("roles"),
  scopeGroup: exchangeSetting("scopeGroup"),
  ewsAllowList: exchangeSetting("ewsAllowList"),
  alsoAllow: exchangeSetting("ewsAllowList.alsoAllow"),
};

/**
 * The domains: each domain's DomainDns asked what is at the names of the records it declares.
 * Microsoft's values come from Graph, as at deploy time.
 */
export const discoverDns: DiscoveryStep = async ({ config, sources, urnOf, stack }) => {
  const graphRecords = sources.records ?? new GraphServiceConfigurationRecordSource(sources.graph);
  const read = { ...sources, dns: sources.dns ?? dnsTxtLookup() };
  const found: Discovery[] = [];
  for (const [index, domain] of config.domains.entries()) {
    const records = domain.microsoft365Records ? await graphRecords.recordsFor(domain.name) : undefined;
    found.push(
      await discoverDomainDns(tenantNames(stack).dns(domain.name), domainDnsArgs(domain, records), domain.onExisting, domainSettings(index), read, urnOf),
    );
  }
  return { findings: found.flatMap((d) => d.findings), notices: found.flatMap((d) => d.notices), left: found.flatMap((d) => d.left ?? []) };
};

const discoverAccounts: DiscoveryStep = ({ config, sources, urnOf, stack }) => {
  const name = tenantNames(stack).accounts;
  return discoverUsers(sources.graph, declaredAccounts(name, accountsArgs(config, name)), urnOf, {
    admin: `${NAMESPACE}:adminUser.userPrincipalName`,
    worker: `${NAMESPACE}:workerUser.userPrincipalName`,
    adminSignIn: ADMIN_SIGN_IN_SETTING,
  });
};

const discoverExchangeAccess: DiscoveryStep = ({ config, sources, urnOf, stack }) =>
  discoverExchange(sources.exchange, declaredExchangeObjects(tenantNames(stack).exchange, declaredExchangeAccess(config), EXCHANGE_SETTINGS), urnOf);

/**
 * Exchange as the deploy reads it before declaring anything: the scope, its group and the EWS
 * allow list, whose conflicts stay conflicts after a first deploy. Role assignments are left to
 * their provider: once deployed, ours is held by an app the discovery cannot name beforehand.
 */
const discoverExchangeBeforeDeploy: DiscoveryStep = ({ config, sources, urnOf, stack }) => {
  const declared = declaredExchangeObjects(tenantNames(stack).exchange, declaredExchangeAccess(config), EXCHANGE_SETTINGS);
  return discoverExchange(sources.exchange, { ...declared, servicePrincipal: undefined, roleAssignments: [] }, urnOf);
};

/** EWS's end, for a stack whose Retain reaches mailboxes through EWS: a dated notice with the days left. */
const ewsEnd: DiscoveryStep = async ({ config }) => ({ findings: [], notices: reliesOnEws(config.exchangeAccess) ? [ewsShutdown("global").notice] : [] });

/** The configuration key that settles a conflict of the stack's retention policy. */
export const PRESERVATION_RETAIN_DAYS_SETTING = `${NAMESPACE}:preservation.retainDays`;

/**
 * The stack's retention policy (where it has `preservation`): created, taken over or in conflict;
 * every other retention policy and case hold covering Exchange as a notice; a warning when no
 * licence of the tenant gives retention for Exchange.
 */
export const discoverPreservation: DiscoveryStep = async ({ config, sources, urnOf, stack }) => {
  const preservation = config.preservation;
  if (!preservation) return { findings: [], notices: [] };
  if (!sources.compliance) throw new Error("internal: the stack has preservation but adopt was given no Security & Compliance endpoint");
  const reader = complianceReader(sources.compliance, `${RETENTION_READ_ACCESS}, for the identity running adopt`);
  // Purview first: a refusal there names its role before Graph's licences are asked.
  const policy = await discoverRetentionPolicy(
    reader,
    {
      resourceName: preservationNames(tenantNames(stack).preservation).retentionPolicy,
      name: PRESERVATION_POLICY_NAME,
      retainDays: preservation.retainDays,
      exchangeLocation: "All",
    },
    { retainDays: PRESERVATION_RETAIN_DAYS_SETTING },
    urnOf,
  );
  const licence = await retentionLicenceWarning(sources.graph);
  return { findings: policy.findings, notices: [...(licence ? [licence] : []), ...policy.notices] };
};

/** Retain's app registration: always created; registrations of the same display name are a notice. */
const discoverRetainApplication: DiscoveryStep = ({ config, sources, urnOf, stack }) =>
  discoverApplication(
    sources.graph,
    declaredApplication(tenantNames(stack).application, config.application.displayName, `${NAMESPACE}:application.displayName`),
    urnOf,
  );

/** What `retain-m365 adopt` reads: the zones, the directory, Retain's app, Exchange, Purview's retention (with `preservation`); and what it says of EWS's end. */
export const DISCOVERY_STEPS: readonly DiscoveryStep[] = [
  discoverDns,
  discoverAccounts,
  discoverRetainApplication,
  discoverExchangeAccess,
  discoverPreservation,
  ewsEnd,
];

/**
 * What `pulumi up` reads before declaring anything: what it imports or leaves (records, users),
 * the notices it warns with (EWS's end among them), and the conflicts that must stop it (those of Exchange too; Exchange's objects themselves are
 * taken over by their providers on create, the EWS list merged by its own). Findings carry resource names as urns.
 */
export async function discoverForDeploy(stack: string, config: TenantConfig, sources: AdoptSources): Promise<Discovery> {
  const context: DiscoveryContext = { stack, config, sources, urnOf: (name) => name };
  const steps = await Promise.all([
    discoverDns(context),
    discoverAccounts(context),
    discoverExchangeBeforeDeploy(context),
    // Purview where the caller gives its endpoint: its notices (other policies and holds, the licence) are warnings. Its finding is
    // left out: after the first deploy the policy of the name is the stack's own, whose days an update changes; before it, the
    // provider's create refuses a policy of the name that keeps something else, with the same sentence.
    ...(sources.compliance ? [discoverPreservation(context).then(({ notices }): Discovery => ({ findings: [], notices }))] : []),
    ewsEnd(context),
  ]);
  return { findings: steps.flatMap((s) => s.findings), notices: steps.flatMap((s) => s.notices), left: steps.flatMap((s) => s.left ?? []) };
}
