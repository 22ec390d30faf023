import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/identity";
import { ExitCode, UserFacingError } from "../core/errors";
import { appCertificatesAt, CertificateFallbackCredential } from "../m365/app-certificate";
import type { Cloud } from "../m365/clouds";
import { appCredential, authorityFor } from "../m365/credentials";
import type { SyncCredential } from "../sync/pipeline";

/** The one place the client secret is read from: never a flag, so it never shows in argv. */
export const SECRET_ENVIRONMENT_VARIABLE = "RETAIN_SYNC_CLIENT_SECRET";

export interface SyncCredentialOptions {
  certificate?: string;
  clientSecretFile?: string;
  secretExpires?: Date;
  cloud: Cloud;
  authorityHost?: string;
}

export interface ChosenCredential {
  credential: TokenCredential;
  /** Which credential signs in and when it expires; for a certificate folder, the certificate in use. */
  describe(): SyncCredential;
}

/**
 * Retain's app credential for this run: the certificate(s) of `--certificate`, else the client
 * secret from `--client-secret-file` or the environment. Every file is checked before any request.
 */
export function chooseSyncCredential(tenantId: string, clientId: string, options: SyncCredentialOptions, warn: (line: string) => void): ChosenCredential {
  const authority = authorityFor(options.cloud, options.authorityHost);
  if (options.certificate) {
    const fallback = new CertificateFallbackCredential(
      appCertificatesAt(options.certificate),
      (certificate) => appCredential(tenantId, clientId, { certificatePath: certificate.file }, authority),
      (refused, next, reason) =>
        warn(`Entra ID refused the certificate ${refused.thumbprint} (${reason}); trying the next newest, ${next.thumbprint} (${next.file})`),
    );
    return {
      credential: fallback,
      describe: () => ({ type: "certificate", thumbprint: fallback.current.thumbprint, expiresAt: fallback.current.notAfter.toISOString() }),
    };
  }
  const secret = options.clientSecretFile ? readSecretFile(options.clientSecretFile) : process.env[SECRET_ENVIRONMENT_VARIABLE];
  if (!secret) {
    throw new UserFacingError(`no credential: give --certificate <pem> or set the client secret in ${SECRET_ENVIRONMENT_VARIABLE}`, ExitCode.invalidInput);
  }
  const expiresAt = options.secretExpires?.toISOString() ?? null;
  return { credential: appCredential(tenantId, clientId, { clientSecret: secret }, authority), describe: () => ({ type: "secret", expiresAt }) };
}

function readSecretFile(file: string): string {
  try {
    const secret = readFileSync(file, "utf8").trim();
    if (!secret) throw new UserFacingError(`--client-secret-file ${file} is empty`, ExitCode.invalidInput);
    return secret;
  } catch (error) {
    if (error instanceof UserFacingError) throw error;
    throw new UserFacingError(`--client-secret-file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`, ExitCode.invalidInput);
  }
}

/** `--secret-expires`: an ISO 8601 date (`2027-06-30`) or date and time. */
export function isoDate(value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(date.getTime())) {
    throw new UserFacingError(`--secret-expires must be an ISO date such as 2027-06-30 (got "${value}")`, ExitCode.invalidInput);
  }
  return date;
}

const DAY_MS = 86_400_000;

/** The warning for a credential expiring within `warnDays` days (or expired), naming the date and what to do; else undefined. */
export function expiryWarning(credential: SyncCredential, warnDays: number, now = new Date()): string | undefined {
  if (credential.expiresAt === null) return undefined;
  const expiresAt = new Date(credential.expiresAt);
  const daysLeft = Math.floor((expiresAt.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft >= warnDays) return undefined;
  const when =
    expiresAt.getTime() <= now.getTime()
      ? `expired on ${credential.expiresAt}`
      : `expires on ${credential.expiresAt} (in ${daysLeft} day${daysLeft === 1 ? "" : "s"})`;
  return credential.type === "certificate"
    ? `Retain's app certificate ${credential.thumbprint} ${when}: run \`retain-m365 credential new\` on this server, add the printed certificate to the stack's retain-m365:application.credential.certificates, deploy, and keep both files in the --certificate folder until the old one is removed`
    : `Retain's app client secret ${when}: change retain-m365:application.credentialRotation in the stack, deploy, and put the new secret where this sync reads it (or switch to a certificate: \`retain-m365 credential new\`)`;
}
