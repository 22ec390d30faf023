import { existsSync } from "node:fs";
import path from "node:path";
import type { Client } from "@microsoft/microsoft-graph-client";
import { validatedOrThrow, type RawConfig } from "../../config/validate";
import type { TenantConfig } from "../../config/schema";
import type { ExchangeTarget } from "../../m365/exchange-admin-api";
import type { ServiceConfigurationRecordSource } from "../../m365/service-records";
import type { TxtLookup } from "../../components/dns/spf-lookups";
import type { DnsReadSources } from "../../components/dns/providers";
import { planStack, type PlanStep } from "../plan";
import { adoptReport, type AdoptReport, type Discovery, type UrnOf } from "./findings";

/**
 * Where `adopt` reads: every client authenticated already, none of them used to write. The
 * domains' records: Cloudflare's API for a cloudflare domain (a token only where one is), DNS for a
 * manual domain (`adopt --resolver`; default the system's resolver).
 */
export interface AdoptSources extends DnsReadSources {
  graph: Client;
  exchange: ExchangeTarget;
  /** Public DNS, for the SPF includes' lookups; default the system's resolver (`adopt --resolver` names another). */
  dns?: TxtLookup;
  /** Microsoft's record set: the deploy passes the source its declarations read, so Graph is asked once (default: one of adopt's own). */
  records?: ServiceConfigurationRecordSource;
}

/** What a part of the discovery is given: the stack, its configuration and plan, and the clients. */
export interface DiscoveryContext {
  stack: string;
  config: TenantConfig;
  sources: AdoptSources;
  urnOf: UrnOf;
  /** The offline plan's steps (not at deploy time, where the program itself is what declares). */
  steps: readonly PlanStep[];
}

/** One part of the tenant that `adopt` reads (zones, directory, Exchange). */
export type DiscoveryPart = (context: DiscoveryContext) => Promise<Discovery>;

/**
 * What the first `pulumi up` of the stack will find and do, read-only: the offline plan names the
 * resources (and their urns); each part compares what the tenant holds with what the stack declares.
 */
export async function adoptStack(stack: string, raw: RawConfig, sources: AdoptSources, parts: readonly DiscoveryPart[]): Promise<AdoptReport> {
  const { config } = validatedOrThrow(raw, `stack ${stack}`);
  const plan = await planStack(stack, raw);
  const urns = new Map(plan.steps.map((step) => [step.urn.slice(step.urn.lastIndexOf("::") + 2), step.urn]));
  const urnOf: UrnOf = (name) => {
    const urn = urns.get(name);
    if (!urn) throw new Error(`internal: the plan of stack ${stack} has no resource named ${name}`);
    return urn;
  };
  const discovered = await Promise.all(parts.map((part) => part({ stack, config, sources, urnOf, steps: plan.steps })));
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
