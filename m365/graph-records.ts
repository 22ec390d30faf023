import type { Client } from "@microsoft/microsoft-graph-client";
import { getAllPages } from "./graph-client";
import {
  parseServiceConfigurationRecords,
  type ServiceConfigurationRecord,
  type ServiceConfigurationRecordSource,
} from "./service-records";

/** Microsoft's DNS record set, read from Graph at deploy time (the deployer needs Domain.Read.All). */
export class GraphServiceConfigurationRecordSource implements ServiceConfigurationRecordSource {
  constructor(private readonly graph: Client) {}

  async recordsFor(domain: string): Promise<ServiceConfigurationRecord[]> {
    const what = `reading Microsoft's DNS records for ${domain} from Graph`;
    const items = await getAllPages<unknown>(this.graph, `/domains/${encodeURIComponent(domain)}/serviceConfigurationRecords`, what);
    return parseServiceConfigurationRecords(domain, items);
  }
}
