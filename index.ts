import { DefaultAzureCredential } from "@azure/identity";
import { createGraphClient } from "./lib/graph/client";
import { GraphServiceConfigurationRecordSource } from "./lib/m365/graph-records";
import { deployTenant } from "./lib/program";

// One tenant per stack. Graph is read with the deployer's Azure credentials (environment,
// workload identity or Azure CLI), the same identity the azuread provider uses.
export = async () =>
  deployTenant({
    recordSource: (config) =>
      new GraphServiceConfigurationRecordSource(
        createGraphClient({ credential: new DefaultAzureCredential({ tenantId: config.tenantId }) }),
      ),
  });
