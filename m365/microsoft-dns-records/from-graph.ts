import type { Client } from "@microsoft/microsoft-graph-client";
import { getAllPages } from "../graph-client";
import { parseServiceConfigurationRecords, type ServiceConfigurationRecord, type ServiceConfigurationRecordSource } from "./records";

/**
 * Microsoft's DNS record set, read from Graph at deploy time (the deployer needs Domain.Read.All),
 * once per domain for the life of the source: the deploy's discovery and its declarations share one.
 */
export class GraphServiceConfigurationRecordSource implements ServiceConfigurationRecordSource {
  private readonly read = new Map<string, Promise<ServiceConfigurationRecord[]>>();

  constructor(private readonly graph: Client) {}

  recordsFor(domain: string): Promise<ServiceConfigurationRecord[]> {
    let records = this.read.get(domain);
    if (!records) {
      const what = `reading Microsoft's DNS records for ${domain} from Graph`;
      records = getAllPages<unknown>(this.graph, `/domains/${encodeURIComponent(domain)}/serviceConfigurationRecords`, what).then((items) =>
        parseServiceConfigurationRecords(domain, items),
      );
      // A failed read is not kept: the next caller asks again.
      records.catch(() => this.read.delete(domain));
      this.read.set(domain, records);
    }
    return records;
  }
}
