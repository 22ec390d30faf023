import { listDnsRecords, type CloudflareTarget } from "../../../../cloudflare/dns-api";
import { ExitCode, UserFacingError } from "../../../../core/errors";
import { checkedEndpoint } from "../../../../m365/endpoints";
import type { ExistingRecord } from "../../existing";
import type { RecordAt } from "../provider";

/**
 * The comment on every record the stack declares in Cloudflare. A record that carries it is the
 * stack's own (created, or adopted and updated, by an earlier deploy): it is in the state already.
 */
export const MANAGED_COMMENT = "Managed by retain-m365";

/** A Cloudflare record's import id, `<zoneId>/<recordId>`, as the Cloudflare provider imports it. */
export const cloudflareImportId = (zoneId: string) => (record: ExistingRecord) => `${zoneId}/${record.id}`;

/**
 * Every record of the zone at the declared names (GET only), those carrying the stack's comment
 * marked as its own. A refused token is exit 3 naming what it needs, anything else exit 4.
 */
export async function readZone(
  cloudflare: CloudflareTarget | undefined,
  domain: string,
  zoneId: string,
  records: readonly RecordAt[],
): Promise<ExistingRecord[]> {
  if (!cloudflare)
    throw new UserFacingError(
      `${domain}'s records are in Cloudflare (zone ${zoneId}): reading them needs a Cloudflare API token (Zone › DNS › Read)`,
      ExitCode.invalidInput,
    );
  // The token goes only to Cloudflare's API host or a loopback emulator, over https.
  checkedEndpoint(cloudflare.endpoint, "cloudflare", "the Cloudflare endpoint");
  const names = [...new Set(records.map((record) => record.name))];
  try {
    const live = (await Promise.all(names.map((name) => listDnsRecords(cloudflare, zoneId, { name })))).flat();
    return live.map((record) => ({ ...record, managed: record.comment === MANAGED_COMMENT }));
  } catch (error) {
    const { refused, message } = error as { refused?: boolean; message?: string };
    throw new UserFacingError(
      refused
        ? `Cloudflare refused reading the records of ${domain} (zone ${zoneId}): ${message ?? ""} — the token needs Zone › DNS › Read on that zone`
        : `reading the records of ${domain} from Cloudflare failed: ${message ?? String(error)}`,
      refused ? ExitCode.auth : ExitCode.remoteService,
    );
  }
}
