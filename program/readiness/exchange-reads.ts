import { EXCHANGE_ADMIN_API_PERMISSION } from "../../components/exchange/access-rights";
import type { ExchangeTarget } from "../../m365/exchange-admin-api";
import { exchangeReader, type ExchangeReader } from "../../components/exchange/reads";

/**
 * What reading Exchange for readiness needs, named when Exchange refuses. Microsoft365DSC lists
 * Global Reader (Entra) or the View-Only Organization Management role group (Exchange) as enough
 * to read mailboxes, CAS settings, groups and the organization config.
 */
export const READINESS_EXCHANGE_ACCESS = `${EXCHANGE_ADMIN_API_PERMISSION}, and the Entra role Global Reader (or Exchange's View-Only Organization Management role group), for the identity running readiness`;

/** CIPP's New-ExoRequest asks for pages of 1000: 100,000 mailboxes in 100 requests. */
const PAGE_SIZE = 1000;

/** Exchange as readiness reads it: every call a Get-, its refusals exit 3 and its outages exit 4. */
export const readinessExchange = (target: ExchangeTarget): ExchangeReader => exchangeReader(target, READINESS_EXCHANGE_ACCESS, PAGE_SIZE);
export type ReadinessExchange = ExchangeReader;
