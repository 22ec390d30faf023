import type { Client } from "@microsoft/microsoft-graph-client";
import { describeGraphFailure, getAllPages } from "../graph/client";
import {
  parseServiceConfigurationRecords,
  type ServiceConfigurationRecord,
  type ServiceConfigurationRecordSource,
} from "./service-records";

/** Microsoft's DNS record set, read from Graph at deploy time (the deployer needs Domain.Read.All). */
export class GraphServiceConfigurationRecordSource implements ServiceConfigurationRecordSource {
  constructor(private readonly graph: Client) {}

  async recordsFor(domain: string): Promise<ServiceConfigurationRecord[]> {
    let items: unknown[];
    try {
      items = await getAllPages<unknown>(this.graph, `/domains/${encodeURIComponent(domain)}/serviceConfigurationRecords`);
    } catch (error) {
      throw describeGraphFailure(error, `reading Microsoft's DNS records for ${domain} from Graph`);
    }
    return parseServiceConfigurationRecords(domain, items);
  }
}
