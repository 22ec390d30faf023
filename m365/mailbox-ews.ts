import { invokeCommand, isNotFound, type ExchangeTarget } from "./exchange-admin-api";

/**
 * A warning when a mailbox may not use EWS: `Get-CASMailbox` shows the per-mailbox `EwsEnabled`,
 * and false blocks EWS for that mailbox whatever the organization allows (docs/exchange.md).
 * Nothing when EWS is allowed or the mailbox does not exist yet (a first deployment licenses the
 * worker; Exchange makes its mailbox minutes later). Never throws: a check must not stop a deployment.
 */
export async function mailboxEwsWarning(target: ExchangeTarget, userPrincipalName: string): Promise<string | undefined> {
  try {
    const [mailbox] = await invokeCommand(target, "Get-CASMailbox", { Identity: userPrincipalName });
    if (mailbox?.EwsEnabled !== false) return undefined;
    return (
      `the worker's mailbox ${userPrincipalName} may not use EWS (Get-CASMailbox shows EwsEnabled False), so Retain cannot reach it through EWS; ` +
      `allow it with Set-CASMailbox -Identity ${userPrincipalName} -EwsEnabled $true`
    );
  } catch (error) {
    if (isNotFound(error)) return undefined;
    return `could not check whether the worker's mailbox ${userPrincipalName} may use EWS: ${(error as Error).message}`;
  }
}
