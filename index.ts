import { credentialFromEnvironment } from "./m365/credentials";
import { createGraphClient } from "./m365/graph-client";
import { GraphServiceConfigurationRecordSource } from "./m365/graph-records";
import { deployTenant, tenantWarnings } from "./program/program";

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
