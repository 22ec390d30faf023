import { credentialFromEnvironment } from "./lib/azure/rest";
import { createGraphClient } from "./lib/graph/client";
import { GraphServiceConfigurationRecordSource } from "./lib/m365/graph-records";
import { deployTenant, tenantWarnings } from "./lib/program";

// One tenant per stack. Graph is read with the deployer's credentials from the environment, as the
// dynamic providers sign in (client secret or certificate, GitHub Actions OIDC, else
// DefaultAzureCredential): the same identity the azuread provider uses.
export = async () =>
  deployTenant({
    recordSource: (config) =>
      new GraphServiceConfigurationRecordSource(
        createGraphClient({ credential: credentialFromEnvironment(config.tenantId) }),
      ),
    tenantWarnings,
  });
