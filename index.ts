import * as pulumi from "@pulumi/pulumi";
import type { TenantConfig } from "./config/schema";
import { ExitCode, UserFacingError } from "./core/errors";
import { CLOUDFLARE_API_BASE, CLOUDS } from "./m365/clouds";
import { credentialFromEnvironment } from "./m365/credentials";
import { createGraphClient } from "./m365/graph-client";
import { GraphServiceConfigurationRecordSource } from "./m365/microsoft-dns-records/from-graph";
import type { AdoptSources } from "./program/adopt/adopt";
import { discoverForDeploy } from "./program/adopt/discovery-steps";
import { deployTenant, tenantWarnings } from "./program/program";

// One tenant per stack. Graph and Exchange are read with the deployer's credentials from the
// environment, as the dynamic providers sign in (client secret or certificate, GitHub Actions OIDC,
// else DefaultAzureCredential): the same identity the azuread provider uses. Cloudflare's zones are
// read with the Cloudflare provider's token, asked for only when a domain's provider is cloudflare;
// a manual domain's records are read through DNS (the system's resolver).
// One set of clients per run: the Graph records and the discovery share one credential (and token).
let sources: (AdoptSources & { records: GraphServiceConfigurationRecordSource }) | undefined;
function sourcesFor(config: TenantConfig): AdoptSources & { records: GraphServiceConfigurationRecordSource } {
  if (!sources) {
    const graph = createGraphClient({ credential: credentialFromEnvironment(config.tenantId) });
    sources = {
      ...(config.domains.some((domain) => domain.provider === "cloudflare") ? { cloudflare: { endpoint: CLOUDFLARE_API_BASE, token: cloudflareToken() } } : {}),
      graph,
      records: new GraphServiceConfigurationRecordSource(graph),
      exchange: { tenantId: config.tenantId, exchangeEndpoint: CLOUDS.global.exchange },
      // Purview's retention policies and holds, read only for a stack with `preservation`.
      ...(config.preservation ? { compliance: { tenantId: config.tenantId, complianceEndpoint: CLOUDS.global.compliance } } : {}),
    };
  }
  return sources;
}

function cloudflareToken(): string {
  const token = pulumi.runtime.getConfig("cloudflare:apiToken") ?? process.env.CLOUDFLARE_API_TOKEN;
  if (!token)
    throw new UserFacingError(
      "the zones are read before anything is declared: set cloudflare:apiToken (as a secret) or CLOUDFLARE_API_TOKEN",
      ExitCode.invalidInput,
    );
  return token;
}

export = async () =>
  deployTenant({
    // One reader for the declarations and the discovery: Microsoft's records are read once per domain.
    recordSource: (config) => sourcesFor(config).records,
    tenantWarnings,
    discover: (config, stack) => discoverForDeploy(stack, config, sourcesFor(config)),
  });
