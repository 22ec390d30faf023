import type { Client } from "@microsoft/microsoft-graph-client";
import type { TenantConfig } from "../../config/schema";
import type { Cloud } from "../../m365/clouds";
import type { ComplianceTarget } from "../../m365/compliance-api";
import type { ExchangeTarget } from "../../m365/exchange-admin-api";
import { ewsShutdown } from "../../m365/ews-retirement";
import { readinessExchange } from "./exchange-reads";
import { frontlineOnlyUsers } from "./frontline";
import { ewsOffMailboxes, mailboxProblems, population } from "./mailboxes";
import { organizationReadiness } from "./organization";
import { preservedMailboxes } from "./preservation";
import { findRetainApp, unscopedGrants } from "./retain-app";
import type { ReadinessReport } from "./report";

/** Where readiness reads, as the deploying identity: never to write. */
export interface ReadinessSources {
  graph: Client;
  exchange: ExchangeTarget;
  /** Purview's retention policies, read where the stack has `preservation` (`mailboxes.preserved`). */
  compliance?: ComplianceTarget;
}

export interface ReadinessOptions {
  /** Retain's application id (the stack output applicationClientId); else found by the stack's display name. */
  appId?: string;
  cloud?: Cloud;
  now?: Date;
}

/** Every promise settled; the values in order, or the first failure in that order (the same one on every run). */
async function allInOrder<T extends readonly unknown[]>(promises: { readonly [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * Can Retain archive every mailbox it should, today, through EWS? Reads Graph and Exchange side
 * by side, a few listings in all (server-side filters, pages of 1000 and 999), whatever the size
 * of the organization; writes nothing.
 */
export async function readinessOf(stack: string, config: TenantConfig, sources: ReadinessSources, options: ReadinessOptions = {}): Promise<ReadinessReport> {
  const exchange = readinessExchange(sources.exchange);
  const access = config.exchangeAccess;
  const scopeGroup = access.scopeGroup;
  const app = findRetainApp(sources.graph, config.application.displayName, options.appId);
  const organizationEws = exchange.organizationEws();
  // The other Exchange reads start once the first has signed in (started together, each would
  // fetch a token of its own before the credential's cache holds one); when it fails, so do they.
  const signedIn = organizationEws.then(() => undefined);
  const [retain, grants, ews, exchangeServicePrincipals, assignments, people, ewsOff, frontline] = await allInOrder([
    app,
    app.then((found) => (found.servicePrincipalId ? unscopedGrants(sources.graph, found.servicePrincipalId) : null)),
    organizationEws,
    signedIn.then(() => exchange.list("Get-ServicePrincipal")),
    signedIn.then(() => exchange.list("Get-ManagementRoleAssignment")),
    signedIn.then(() => population(exchange, scopeGroup)),
    signedIn.then(() => ewsOffMailboxes(exchange)),
    frontlineOnlyUsers(sources.graph),
  ] as const);
  const preservation = config.preservation && sources.compliance ? await preservedMailboxes(sources.compliance, people.members) : undefined;

  const { organization, notices } = organizationReadiness({
    ews,
    app: retain,
    grants,
    exchangeServicePrincipals,
    assignments,
    mode: access.mode,
    scopeGroup,
    missingScopeGroup: people.missingGroup,
  });
  const problems = mailboxProblems(people.members, ewsOff, frontline, scopeGroup);
  const shutdown = ewsShutdown(options.cloud ?? "global", options.now ?? new Date());
  return {
    stack,
    ews: { shutdown: shutdown.shutdown, daysLeft: shutdown.daysLeft, organization },
    mailboxes: {
      inScope: people.members.length,
      ready: people.members.length - problems.length,
      notReady: problems.length,
      // null: the stack keeps no mail by a retention policy (no `preservation`).
      preserved: preservation?.preserved ?? null,
    },
    problems,
    notices: [shutdown.notice, ...notices, ...people.notices, ...(preservation?.notices ?? [])],
  };
}
