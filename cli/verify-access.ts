import type { TokenCredential } from "@azure/identity";
import { ExitCode, UserFacingError } from "../core/errors";
import { isMissingCredential, signInFailureReason } from "../m365/credentials";
import { ewsShutdown } from "../m365/ews-retirement";
import { ewsUrl, exchangeTokenScope, getInbox, type InboxAnswer } from "../m365/ews-client";
import { EWS_ACCESS_ROLE, EWS_POLICY_REASON } from "../m365/exchange-facts";
import { isAuthenticationFailure } from "../m365/graph-client";
import type { Io } from "./io";
import { chooseSyncCredential, type SyncCredentialOptions } from "./sync-credential";
import { resolveSyncTarget } from "./sync-target";

// `verify --access`: on the Retain server, as Retain's app, the EWS request Retain makes must reach
// a mailbox in the management scope and be refused for one outside it (docs/cli.md, "verify").

export interface AccessOptions extends SyncCredentialOptions {
  stack?: string;
  stacksDir: string;
  tenantId?: string;
  clientId?: string;
  mailbox?: string;
  outside?: string;
  ewsEndpoint?: string;
  json?: boolean;
}

interface AccessCheck {
  check: string;
  ok: boolean;
  detail: string;
  /** A failed check: its exit code and its cause in a clause for the final sentence. */
  failure?: { exitCode: ExitCode; cause: string };
}

/** Which failure decides the exit code when checks fail differently: input first, then an unreachable service. */
const EXIT_PRIORITY: ExitCode[] = [ExitCode.invalidInput, ExitCode.remoteService, ExitCode.auth, ExitCode.unexpected];

export async function verifyAccess(options: AccessOptions, io: Io): Promise<void> {
  const mailbox = options.mailbox;
  if (!mailbox) throw new UserFacingError("verify --access needs --mailbox <address>: a mailbox in Retain's management scope", ExitCode.invalidInput);
  const { tenantId, clientId } = resolveSyncTarget(options);
  const chosen = chooseSyncCredential(tenantId, clientId, options, (line) => io.stderr(`warning: ${line}\n`));
  const url = ewsUrl(options.cloud, options.ewsEndpoint);
  const accessToken = await exchangeToken(chosen.credential, exchangeTokenScope(options.cloud), clientId);

  const inside = await getInbox({ url, accessToken, mailbox });
  const checks = [insideCheck(mailbox, inside, clientId)];
  if (options.outside) {
    const outside = inside.outcome === "unavailable" ? undefined : await getInbox({ url, accessToken, mailbox: options.outside });
    checks.push(outsideCheck(options.outside, outside, clientId));
  }

  const shutdown = ewsShutdown(options.cloud);
  const ok = checks.every((c) => c.ok);
  const printed = checks.map(({ check, ok: passed, detail }) => ({ check, ok: passed, detail }));
  io.stdout(
    options.json
      ? `${JSON.stringify({ ok, checks: printed, ewsUrl: url, ews: { shutdown: shutdown.shutdown, daysLeft: shutdown.daysLeft } })}\n`
      : printed.map((c) => `${c.ok ? "✓" : "✗"} ${c.check} ${c.detail}\n`).join("") + `EWS URL to enter in Retain: ${url}\n${shutdown.notice}\n`,
  );
  const failures = checks.flatMap((c) => (c.failure ? [c.failure] : []));
  if (failures.length === 0) return;
  const exitCode = EXIT_PRIORITY.find((code) => failures.some((f) => f.exitCode === code)) ?? ExitCode.unexpected;
  const causes = [...new Set(failures.map((f) => f.cause))];
  throw new UserFacingError(`${failures.length} of ${checks.length} access checks failed: ${causes.join("; ")}`, exitCode);
}

/** Retain's app signs in for Exchange's resource; a refusal by Entra ID is exit 3, the credential never in the message. */
async function exchangeToken(credential: TokenCredential, scope: string, clientId: string): Promise<string> {
  try {
    const token = await credential.getToken(scope);
    if (token) return token.token;
  } catch (error) {
    if (error instanceof UserFacingError) throw error;
    // @azure/identity passes Entra's refusal on as AuthenticationRequiredError (invalid_client and the like).
    const refused = isAuthenticationFailure(error) || isMissingCredential(error) || (error as { name?: string }).name === "AuthenticationRequiredError";
    if (!refused) throw error;
    throw new UserFacingError(`Entra ID refused to sign in Retain's app ${clientId} for ${scope}: ${signInFailureReason(error)}`, ExitCode.auth);
  }
  throw new UserFacingError(`Entra ID gave Retain's app ${clientId} no token for ${scope}`, ExitCode.auth);
}

const fail = (check: string, detail: string, exitCode: ExitCode, cause: string): AccessCheck => ({ check, ok: false, detail, failure: { exitCode, cause } });

function policyDetail(reason: string, clientId: string): string {
  const quoted = `X-EWS-Policy-Reason: "${reason}"`;
  switch (reason.toLowerCase()) {
    case EWS_POLICY_REASON.blockedByPolicy.toLowerCase():
      return `is refused by the organization's EWS allow list: EwsAllowedAppIDs leaves Retain's app ${clientId} out, or a user-agent policy blocks it (HTTP 403, ${quoted})`;
    case EWS_POLICY_REASON.disabled.toLowerCase():
      return `is refused because EWS is disabled for this mailbox or the organization: the mailbox's own EwsEnabled (Get-CASMailbox) is false, the organization's EwsEnabled is false, or its only Exchange licence is a Kiosk/frontline one, which has had no EWS since 2026-10-01 (HTTP 403, ${quoted})`;
    default:
      return `is refused by the organization's EWS policy (HTTP 403, ${quoted})`;
  }
}

/** The answers every check reads alike: nothing to learn about the scope from them. */
function common(check: string, who: string, flag: string, answer: InboxAnswer | undefined, clientId: string): AccessCheck | undefined {
  if (answer === undefined) return fail(check, "was not tried: EWS did not answer the first request", ExitCode.remoteService, `${who} was not tried`);
  switch (answer.outcome) {
    case "policy": {
      const detail = policyDetail(answer.reason, clientId);
      return fail(check, detail, ExitCode.auth, `${who} ${detail.replace(/ \(HTTP 403.*$/, "")}`);
    }
    case "token-refused": {
      const why =
        answer.status === 401 ? "EWS does not accept Retain's app's token" : `Retain's app holds no EWS permission in Exchange (the role ${EWS_ACCESS_ROLE})`;
      const diagnostics = answer.diagnostics ? `, x-ms-diagnostics: ${answer.diagnostics}` : "";
      return fail(check, `is refused (HTTP ${answer.status}${diagnostics}): ${why}`, ExitCode.auth, why);
    }
    case "no-mailbox":
      return fail(
        check,
        `has no mailbox in Exchange Online (ErrorNonExistentMailbox)`,
        ExitCode.invalidInput,
        `${flag} ${who} has no mailbox in Exchange Online`,
      );
    case "unavailable":
      return fail(check, `got no answer from EWS: ${answer.detail}`, ExitCode.remoteService, `EWS did not answer (${answer.detail})`);
    case "unexpected":
      return fail(
        check,
        `got an answer this check does not know: ${answer.code}${answer.message ? ` (${answer.message})` : ""}`,
        ExitCode.unexpected,
        `EWS answered ${answer.code}`,
      );
    default:
      return undefined;
  }
}

function insideCheck(mailbox: string, answer: InboxAnswer, clientId: string): AccessCheck {
  const check = `EWS for ${mailbox}`;
  const known = common(check, mailbox, "--mailbox", answer, clientId);
  if (known) return known;
  if (answer.outcome === "reached") return { check, ok: true, detail: `is reached as Retain's app (folder "${answer.folder}")` };
  const code = answer.outcome === "denied" ? answer.code : "";
  return fail(
    check,
    `is refused (${code}): the mailbox is outside Retain's management scope, or the app holds no ${EWS_ACCESS_ROLE} assignment`,
    ExitCode.auth,
    `${mailbox} is not in Retain's management scope (${code})`,
  );
}

function outsideCheck(mailbox: string, answer: InboxAnswer | undefined, clientId: string): AccessCheck {
  const check = `EWS for ${mailbox} (outside the scope)`;
  if (answer?.outcome === "policy") {
    const detail = `${policyDetail(answer.reason, clientId)}, not by the management scope: whether the scope holds cannot be told`;
    return fail(check, detail, ExitCode.auth, `${mailbox} was refused by the organization's EWS policy, so the scope was not tested`);
  }
  const known = common(check, mailbox, "--outside", answer, clientId);
  if (known) return known;
  if (answer?.outcome === "denied") return { check, ok: true, detail: `is refused (${answer.code}): the management scope holds` };
  return fail(
    check,
    "is reached: the management scope does not hold (check the role assignment's CustomResourceScope, and that no unscoped grant such as full_access_as_app or Graph's Mail.Read is consented to the app)",
    ExitCode.auth,
    `the management scope does not hold: Retain's app reaches ${mailbox}, which should be outside it`,
  );
}
