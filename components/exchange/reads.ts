import { ExitCode, UserFacingError } from "../../core/errors";
import { isNetworkFailure } from "../../core/retry";
import {
  describeCommand,
  invokeCommand,
  unlessNotFound,
  type CmdletParameters,
  type ExchangeCommandError,
  type ExchangeObject,
  type ExchangeTarget,
} from "../../m365/exchange-admin-api";
import { signInFailureReason } from "../../m365/credentials";
import { isAuthenticationFailure } from "../../m365/graph-client";
import { readOrganizationEws } from "./ews-allow-list/organization";
import { getOptional } from "./objects";

// Exchange read by `adopt` and `readiness` as the deploying identity: Get- cmdlets only, a refusal
// exit 3 naming what the reader needs, an outage exit 4.

/** Get- cmdlets only: the readers never change the tenant. */
type GetCmdlet = `Get-${string}`;

/** Exchange's refusals as exit 3 (naming what reading `service` needs), its outages as exit 4; anything else is a bug and stays as it is. */
export function exchangeFailure(error: unknown, command: string, needs: string, service = "Exchange Online"): unknown {
  const { status, exceptionType, exchangeMessage } = error as Partial<ExchangeCommandError>;
  // Exchange's own answer once (its error's message repeats the command this sentence names already).
  const message =
    status !== undefined && exchangeMessage !== undefined
      ? `HTTP ${status}${exceptionType ? `, ${exceptionType}` : ""}: ${exchangeMessage}`
      : signInFailureReason(error);
  // A cmdlet outside the caller's Exchange roles is not in its session at all: "not recognized".
  if (status === 401 || status === 403 || exceptionType === "CommandNotFoundException" || isAuthenticationFailure(error)) {
    return new UserFacingError(
      `${service} refused ${command} (${message}). Reading ${service === "Exchange Online" ? "Exchange" : service} needs ${needs}.`,
      ExitCode.auth,
    );
  }
  if (status !== undefined || isNetworkFailure(error)) return new UserFacingError(`${service} did not answer ${command}: ${message}`, ExitCode.remoteService);
  return error;
}

/**
 * A read-only view of Exchange. `needs` is named when Exchange refuses; `maxPageSize` asks for
 * larger pages of listings (`Prefer: odata.maxpagesize`), as CIPP's New-ExoRequest does.
 */
export function exchangeReader(target: ExchangeTarget, needs: string, maxPageSize?: number) {
  const guarded = async <T>(command: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw exchangeFailure(error, command, needs);
    }
  };
  const read = (cmdlet: GetCmdlet, parameters: CmdletParameters, select?: readonly string[]) =>
    invokeCommand(target, cmdlet, parameters, { select, maxPageSize });
  return {
    /** Every object a listing returns. */
    list: (cmdlet: GetCmdlet, parameters: CmdletParameters = {}, select?: readonly string[]) =>
      guarded(describeCommand(cmdlet, parameters), () => read(cmdlet, parameters, select)),
    /** As `list`, but undefined when Exchange has no object of the identity the parameters name. */
    listOf: (cmdlet: GetCmdlet, parameters: CmdletParameters, select?: readonly string[]): Promise<ExchangeObject[] | undefined> =>
      guarded(describeCommand(cmdlet, parameters), () => unlessNotFound(() => read(cmdlet, parameters, select))),
    /** The one object of that identity, or undefined. */
    one: (cmdlet: GetCmdlet, identity: string) => guarded(describeCommand(cmdlet, { Identity: identity }), () => getOptional(target, cmdlet, identity)),
    organizationEws: () => guarded("Get-OrganizationConfig -RetrieveEwsOperationAccessPolicy", () => readOrganizationEws(target)),
  };
}
export type ExchangeReader = ReturnType<typeof exchangeReader>;
