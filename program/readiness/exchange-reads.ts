import { EXCHANGE_ADMIN_API_PERMISSION } from "../../components/exchange/exchange-access";
import { readOrganizationEws } from "../../components/exchange/ews-allow-list";
import { describeCommand, invokeCommand, isNotFound, type CmdletParameters, type ExchangeObject, type ExchangeTarget } from "../../m365/exchange-admin-api";
import { exchangeFailure } from "../adopt/exchange";

/**
 * What reading Exchange for readiness needs, named when Exchange refuses. Microsoft365DSC lists
 * Global Reader (Entra) or the View-Only Organization Management role group (Exchange) as enough
 * to read mailboxes, CAS settings, groups and the organization config.
 */
export const READINESS_EXCHANGE_ACCESS = `${EXCHANGE_ADMIN_API_PERMISSION}, and the Entra role Global Reader (or Exchange's View-Only Organization Management role group), for the identity running readiness`;

/** Get- cmdlets only: readiness never changes the tenant. */
type GetCmdlet = `Get-${string}`;

/** CIPP's New-ExoRequest asks for pages of 1000: 100,000 mailboxes in 100 requests. */
const PAGE_SIZE = 1000;

/** Exchange as readiness reads it: every call a Get-, its refusals exit 3 and its outages exit 4. */
export function readinessExchange(target: ExchangeTarget) {
  const guarded = async <T>(command: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw exchangeFailure(error, command, READINESS_EXCHANGE_ACCESS);
    }
  };
  const list = (cmdlet: GetCmdlet, parameters: CmdletParameters = {}, select?: readonly string[]) =>
    guarded(describeCommand(cmdlet, parameters), () => invokeCommand(target, cmdlet, parameters, { select, maxPageSize: PAGE_SIZE }));
  return {
    list,
    /** As `list`, but undefined when Exchange has no object of that identity. */
    listOf: (cmdlet: GetCmdlet, parameters: CmdletParameters, select?: readonly string[]): Promise<ExchangeObject[] | undefined> =>
      guarded(describeCommand(cmdlet, parameters), async () => {
        try {
          return await invokeCommand(target, cmdlet, parameters, { select, maxPageSize: PAGE_SIZE });
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      }),
    organizationEws: () => guarded("Get-OrganizationConfig -RetrieveEwsOperationAccessPolicy", () => readOrganizationEws(target)),
  };
}
export type ReadinessExchange = ReturnType<typeof readinessExchange>;
