import type { Cloud } from "./clouds";
import { EWS_ACCESS_ROLE, LEGACY_IMPERSONATION_ROLE } from "./exchange-facts";

// The one place for when EWS ends in Exchange Online (docs/exchange.md, "EWS's end").

/**
 * The day EWS stops for good in each cloud, with where that is said; `null` where Microsoft has
 * published no date. Never guess one: the national clouds "follow later" and nothing more is known.
 */
export const EWS_SHUTDOWN: Record<Cloud, { date: string | null; source: string }> = {
  global: {
    date: "2027-04-01",
    source:
      'Microsoft 365 message center MC1227454 and the Exchange Team blog "EWS Deprecation Is Here" (2026-10-01): permanent shutdown on 2027-04-01, no exceptions',
  },
  usgov: { date: null, source: "MC1227454: the national clouds follow the worldwide cloud later; no date announced" },
  usgovdod: { date: null, source: "MC1227454: the national clouds follow the worldwide cloud later; no date announced" },
  china: { date: null, source: "MC1227454: the national clouds follow the worldwide cloud later; no date announced" },
};

/**
 * Since this day the worldwide cloud blocks all EWS where `EwsEnabled` is true and the app-id allow
 * list is empty, while Microsoft's Set-OrganizationConfig reference still reads an empty list as
 * "no restriction" (Exchange Team blog "Exchange Online EWS, Your Time is Almost Up", MC1227454).
 */
export const EMPTY_ALLOW_LIST_BLOCKS_SINCE = "2026-10-10";

const CLOUD_LABEL: Record<Cloud, string> = {
  global: "the worldwide cloud",
  usgov: "the US Government (GCC High) cloud",
  usgovdod: "the US Government DoD cloud",
  china: "the cloud operated by 21Vianet (China)",
};

export interface EwsShutdown {
  cloud: Cloud;
  /** `YYYY-MM-DD`, or null: not announced. */
  shutdown: string | null;
  /** Whole days from today (UTC) to the shutdown day; 0 on and after it; null when not announced. */
  daysLeft: number | null;
  /** One sentence for adopt, readiness, verify and the deployment's warning. */
  notice: string;
}

const DAY_MS = 86_400_000;

/** EWS's end in `cloud` as seen on `now`. */
export function ewsShutdown(cloud: Cloud = "global", now: Date = new Date()): EwsShutdown {
  const { date } = EWS_SHUTDOWN[cloud];
  const where = CLOUD_LABEL[cloud];
  if (date === null) {
    return {
      cloud,
      shutdown: null,
      daysLeft: null,
      notice:
        `Microsoft has not announced when EWS ends in ${where}; in the worldwide cloud it ends on ${EWS_SHUTDOWN.global.date}. ` +
        "Retain archives through EWS, so watch Microsoft's message center for this cloud's date.",
    };
  }
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const daysLeft = Math.max(0, Math.round((Date.parse(`${date}T00:00:00Z`) - today) / DAY_MS));
  const notice =
    daysLeft > 0
      ? `EWS in Exchange Online ends for good on ${date} in ${where}, in ${daysLeft} day${daysLeft === 1 ? "" : "s"}: ` +
        `Retain archives through EWS, so from that day it cannot collect mail; keep mail from being purged before Retain archives it (docs/exchange.md, "EWS's end").`
      : `EWS in Exchange Online ended on ${date} in ${where}: Retain cannot collect mail through EWS any more; mail deleted since then is gone unless a retention policy or hold keeps it.`;
  return { cloud, shutdown: date, daysLeft, notice };
}

/** Whether Exchange access configured this way reaches mailboxes through EWS (the EWS role, or the original impersonation). */
export function reliesOnEws(access: { mode: string; roles: readonly string[] }): boolean {
  return access.mode === "application-impersonation" || access.roles.includes(EWS_ACCESS_ROLE) || access.roles.includes(LEGACY_IMPERSONATION_ROLE);
}
