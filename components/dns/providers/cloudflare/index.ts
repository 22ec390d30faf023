import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { CLOUDFLARE_READ_PERMISSION, quotedTxtContent } from "../../../../cloudflare/dns-api";
import { permissions } from "../../../permissions";
import type { DnsRecordSpec } from "../../records";
import type { DeclareContext, Declared, DnsProvider } from "../provider";
import { SpfInclude } from "./spf-include";
import { cloudflareImportId, MANAGED_COMMENT, readZone } from "./zone";

export { MANAGED_COMMENT, cloudflareImportId };

/** A domain whose records the stack writes into a Cloudflare zone (`provider: cloudflare`, the default). */
export interface CloudflareDomainArgs {
  /** Cloudflare zone id of the domain (32 hex characters). */
  zoneId: pulumi.Input<string>;
  /** Cloudflare API token for the SPF record's edits, a secret; default the stack's `cloudflare:apiToken`, else CLOUDFLARE_API_TOKEN at deploy time. */
  cloudflareApiToken?: pulumi.Input<string>;
  /** Cloudflare API base URL for the SPF record's edits; the emulator's in tests. */
  cloudflareEndpoint?: string;
}

/** Cloudflare's half of a domain's needs: listing its records, and writing them. */
export const cloudflarePermissions = permissions({
  read: { cloudflare: [CLOUDFLARE_READ_PERMISSION] },
  write: { cloudflare: ["Zone › DNS › Edit, on the tenant's zones"] },
});

const HEX32 = /^[0-9a-f]{32}$/;
const SPF_ROLE = /^m365-txt/;

/**
 * A TXT record's content as Cloudflare's API schema asks for it: quoted character-strings of at
 * most 255 bytes (a longer unquoted one Cloudflare splits itself, and every later preview shows a
 * diff). The same rule as the records the API client writes (cloudflare/dns-api.ts).
 */
export const txtContent = quotedTxtContent;

/**
 * The records in Cloudflare: DNS-only (a proxied autodiscover record breaks autodiscover), marked
 * with the stack's comment, left in the zone on destroy (`retainOnDelete`: the organisation's mail
 * relies on them); the SPF record merged into the zone's one SPF record through an SpfInclude.
 */
export function cloudflareDnsProvider(domain: string, args: CloudflareDomainArgs): DnsProvider {
  const zoneId = typeof args.zoneId === "string" ? args.zoneId : undefined;
  const declare = (spec: DnsRecordSpec, { parent, name, action }: DeclareContext): Declared => {
    if (spec.type === "TXT") {
      const content = typeof spec.content === "string" ? txtContent(spec.content) : pulumi.output(spec.content ?? "").apply(txtContent);
      const apiToken = args.cloudflareApiToken ?? new pulumi.Config("cloudflare").getSecret("apiToken");
      return {
        resource: new SpfInclude(
          name,
          { zoneId: args.zoneId, name: spec.name, content, ttl: spec.ttl, apiToken, endpoint: args.cloudflareEndpoint },
          { parent },
        ),
      };
    }
    const record = new cloudflare.DnsRecord(
      name,
      {
        zoneId: args.zoneId,
        name: spec.name,
        type: spec.type,
        ttl: spec.ttl,
        proxied: false,
        content: spec.content,
        priority: spec.priority,
        data: spec.data,
        comment: MANAGED_COMMENT,
      },
      { parent, retainOnDelete: true, ...(action && "import" in action ? { import: action.import } : {}) },
    );
    return { resource: record };
  };
  return {
    problems: () => (zoneId !== undefined && !HEX32.test(zoneId) ? [`zoneId of ${domain} is not 32 lower-case hex characters`] : []),
    actionProblem(label, role, action) {
      const importId = typeof action === "object" && action !== null ? (action as { import?: unknown }).import : undefined;
      if (typeof importId !== "string") return `${label} must be "leave" or { import: "<zoneId>/<recordId>" }`;
      if (SPF_ROLE.test(role)) return `${label}: the SPF record is merged into, never imported; give "leave" or nothing`;
      const [zone, record, ...rest] = importId.split("/");
      if (rest.length > 0 || !HEX32.test(zone ?? "") || !HEX32.test(record ?? "") || (zoneId !== undefined && zone !== zoneId)) {
        return `${label}: import id "${importId}" is not "<zoneId>/<recordId>" in zone ${zoneId ?? "of the domain"}`;
      }
      return undefined;
    },
    declare,
    read: (records, sources) => readZone(sources.cloudflare, domain, known(zoneId, domain), records),
    importIdOf: cloudflareImportId(zoneId ?? ""),
  };
}

function known(zoneId: string | undefined, domain: string): string {
  if (zoneId === undefined) throw new Error(`internal: the zone id of ${domain} is known only at deploy time; the zone cannot be read before it`);
  return zoneId;
}
