import { existsSync } from "node:fs";
import path from "node:path";
import type { Client } from "@microsoft/microsoft-graph-client";
import { validatedOrThrow, type RawConfig } from "../../config/validate";
import type { TenantConfig } from "../../config/schema";
import type { ExchangeTarget } from "../../m365/exchange-admin-api";
import type { ComplianceTarget } from "../../m365/compliance-api";
import type { ServiceConfigurationRecordSource } from "../../m365/microsoft-dns-records/records";
import type { DomainDnsReadSources } from "../../components/dns/discovery";
import type { Discovery, UrnOf } from "../../components/discovery";
import { planStack } from "../plan";
import { adoptReport, type AdoptReport } from "./report";

/**
 * Where `adopt` reads: every client authenticated already, none of them used to write. The
 * domains' records: Cloudflare's API for a cloudflare domain (a token only where one is), DNS for a
 * manual domain (`adopt --resolver`; default the system's resolver).
 */
export interface AdoptSources extends DomainDnsReadSources {
  graph: Client;
  exchange: ExchangeTarget;
  /** Security & Compliance (Purview's retention policies and holds), read where the stack has `preservation`. */
  compliance?: ComplianceTarget;
  /** Microsoft's record set: the deploy passes the source its declarations read, so Graph is asked once (default: one of adopt's own). */
  records?: ServiceConfigurationRecordSource;
}

/** What a step of the discovery is given: the stack, its configuration, the clients, and the urns of the plan's resources. */
export interface DiscoveryContext {
  stack: string;
  config: TenantConfig;
  sources: AdoptSources;
  urnOf: UrnOf;
}

/** One step of what `adopt` reads (zones, directory, Exchange): it asks the components concerned about themselves. */
export type DiscoveryStep = (context: DiscoveryContext) => Promise<Discovery>;

/**
 * What the first `pulumi up` of the stack will find and do, read-only: each step compares what the
 * tenant holds with what the stack declares, naming each resource as its component does; the
 * offline plan gives each name its urn, the one `plan --json` shows.
 */
export async function adoptStack(stack: string, raw: RawConfig, sources: AdoptSources, steps: readonly DiscoveryStep[]): Promise<AdoptReport> {
  const { config } = validatedOrThrow(raw, `stack ${stack}`);
  const plan = await planStack(stack, raw);
  const urns = new Map(plan.steps.map((step) => [step.urn.slice(step.urn.lastIndexOf("::") + 2), step.urn]));
  const urnOf: UrnOf = (name) => {
    const urn = urns.get(name);
    if (!urn) throw new Error(`internal: the plan of stack ${stack} has no resource named ${name}`);
    return urn;
  };
  const discovered = await Promise.all(steps.map((step) => step({ stack, config, sources, urnOf })));
  return adoptReport(stack, [...discovered, leftoverFiles(config)]);
}

/** The manual procedure's CSVs, where this machine is the Retain server: the first sync replaces them (keeping backups). */
function leftoverFiles(config: TenantConfig): Discovery {
  const dir = config.directorySync.outputDir;
  const found = ["exchangeuser.csv", "exchangegroups.csv"].filter((file) => existsSync(path.join(dir, file)));
  return {
    findings: [],
    notices: found.length
      ? [`${dir} already holds ${found.join(" and ")} (sync365.ps1's, probably): the first sync replaces them and keeps them in ${path.join(dir, "backup")}.`]
      : [],
  };
}
