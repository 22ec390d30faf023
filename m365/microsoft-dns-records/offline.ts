import * as pulumi from "@pulumi/pulumi";
import type { Deferred, ServiceConfigurationRecord, ServiceConfigurationRecordSource } from "./records";

function deferred<T extends string | number>(): Deferred<T> {
  return pulumi.output(pulumi.unknown as unknown as T) as pulumi.Output<T>;
}

/**
 * For the offline plan: the record set Microsoft publishes for Exchange, Teams and Intune
 * (docs/microsoft-365.md, "DNS records"), with every value left unknown, because only Graph knows them and the
 * offline plan has neither credentials nor network. A real preview reads the actual set.
 */
export class OfflineServiceConfigurationRecordSource implements ServiceConfigurationRecordSource {
  recordsFor(domain: string): Promise<ServiceConfigurationRecord[]> {
    const cname = (host: string, supportedService: string): ServiceConfigurationRecord => ({
      recordType: "CName",
      label: `${host}.${domain}`,
      canonicalName: deferred(),
      ttl: 3600,
      supportedService,
    });
    const srv = (service: string, protocol: string): ServiceConfigurationRecord => ({
      recordType: "Srv",
      label: domain,
      service,
      protocol,
      nameTarget: deferred(),
      port: deferred(),
      priority: deferred(),
      weight: deferred(),
      ttl: 3600,
      supportedService: "OfficeCommunicationsOnline",
    });
    return Promise.resolve([
      { recordType: "Mx", label: domain, mailExchange: deferred(), preference: deferred(), ttl: 3600, supportedService: "Email" },
      { recordType: "Txt", label: domain, text: deferred(), ttl: 3600, supportedService: "Email" },
      cname("autodiscover", "Email"),
      cname("sip", "OfficeCommunicationsOnline"),
      cname("lyncdiscover", "OfficeCommunicationsOnline"),
      srv("_sip", "_tls"),
      srv("_sipfederationtls", "_tcp"),
      cname("enterpriseregistration", "Intune"),
      cname("enterpriseenrollment", "Intune"),
    ]);
  }
}
