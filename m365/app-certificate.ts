import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { ExitCode, UserFacingError } from "../core/errors";
import { thumbprintOf } from "../core/certificates";

// Retain's app certificate: made on the Retain server, its key never leaving it.

/** A certificate file the sync can sign in with: its certificate first, its unencrypted private key in the same file. */
export interface AppCertificate {
  file: string;
  /** core/certificates.ts's thumbprintOf. */
  thumbprint: string;
  notBefore: Date;
  notAfter: Date;
}

export interface NewAppCertificate {
  thumbprint: string;
  notAfter: Date;
  /** The certificate alone: what the stack registers. */
  certificatePem: string;
  /** Certificate and private key: what the file on the Retain server holds. */
  filePem: string;
}

export const CERTIFICATE_SUBJECT = "CN=Retain M365 directory sync";

/**
 * A certificate serial from 16 random bytes: positive, and its first byte never zero, so its DER
 * INTEGER is minimal however the bytes fall. node-forge strips only ONE leading zero byte when it
 * encodes an INTEGER (lib/asn1.js, "should all leading bytes be stripped vs just one?"): a serial
 * starting 00 00 0x–7x came out as `00 0x…`, which OpenSSL refuses as "asn1 encoding routines::
 * illegal padding" (c2i_ibuf) wherever the certificate is read: about one certificate in 8,192
 * under the earlier `0` + 31 random hex digits.
 */
export function certificateSerial(random: Buffer): string {
  const bytes = Buffer.from(random.subarray(0, 16));
  if (bytes.length !== 16) throw new Error("a certificate serial needs 16 random bytes");
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString("hex");
}

/**
 * A 2048-bit RSA key and a self-signed certificate valid from now for `days` days, signed with
 * SHA-256. `random` gives the serial's bytes (tests pass chosen ones).
 */
export async function makeAppCertificate(days: number, now = new Date(), random: (size: number) => Buffer = randomBytes): Promise<NewAppCertificate> {
  // Loaded here only: the nightly sync never makes a certificate.
  const { default: forge } = await import("node-forge");
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
  certificate.serialNumber = certificateSerial(random(16));
  // A minute back, so a clock a little behind Entra's still sees it valid.
  certificate.validity.notBefore = new Date(now.getTime() - 60_000);
  certificate.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
  const name = [{ shortName: "CN", value: CERTIFICATE_SUBJECT.slice("CN=".length) }];
  certificate.setSubject(name);
  certificate.setIssuer(name);
  certificate.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, critical: true },
  ]);
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: "pkcs1", format: "pem" }).toString());
  certificate.sign(forgeKey, forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(certificate).replace(/\r\n/g, "\n");
  const x509 = new X509Certificate(certificatePem);
  return {
    thumbprint: thumbprintOf(x509),
    notAfter: x509.validToDate,
    certificatePem,
    filePem: certificatePem + privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const KEY_BLOCK = /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END \1PRIVATE KEY-----/;

/**
 * Why a private key file's mode is refused, as ssh refuses one: any access by group or others (the
 * key signs in as Retain's app). POSIX only: on Windows the mode bits say nothing (NTFS ACLs apply),
 * so the check is skipped there; the folder's ACL is the admin's to keep to the job's account.
 */
export function keyFileModeProblem(mode: number, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === "win32" || (mode & 0o077) === 0) return undefined;
  return `the private key is open to group or others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}), which ssh-like the sync refuses`;
}

/** Reads and checks one certificate file; anything the sync could not sign in with, or a key others may read, is exit 2, one sentence. */
export function readAppCertificate(file: string, platform: NodeJS.Platform = process.platform): AppCertificate {
  const bad = (why: string) => new UserFacingError(`--certificate ${file}: ${why}`, ExitCode.invalidInput);
  let text: string;
  let mode: number;
  try {
    // The mode of what was read, not of what the name points to a moment later.
    const fd = openSync(file, "r");
    try {
      mode = fstatSync(fd).mode;
      text = readFileSync(fd, "utf8");
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw bad(`cannot read the file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const certificateBlock = CERTIFICATE_BLOCK.exec(text)?.[0];
  const keyBlock = KEY_BLOCK.exec(text);
  const exposed = keyBlock && keyFileModeProblem(mode, platform);
  if (exposed) throw bad(`${exposed}: run \`chmod 600 ${file}\``);
  if (!certificateBlock) throw bad(keyBlock ? "holds a private key but no certificate (the file needs both)" : "is not a PEM certificate with its private key");
  if (!keyBlock) throw bad("holds a certificate but no private key (the file needs both)");
  if (keyBlock[1] === "ENCRYPTED ") throw bad("the private key is encrypted; the sync needs it unencrypted (the file is protected by its mode, 0600)");
  let certificate: X509Certificate;
  let key: KeyObject;
  try {
    certificate = new X509Certificate(certificateBlock);
  } catch {
    throw bad("the certificate is garbled (not a valid X.509 certificate)");
  }
  try {
    key = createPrivateKey(keyBlock[0]);
  } catch {
    throw bad("the private key is garbled");
  }
  if (!certificate.checkPrivateKey(key)) throw bad("the private key does not belong to the certificate");
  return { file, thumbprint: thumbprintOf(certificate), notBefore: certificate.validFromDate, notAfter: certificate.validToDate };
}

/** `--certificate`: a file, or every `*.pem` of a folder, newest (latest notBefore) first. */
export function appCertificatesAt(fileOrDir: string, platform: NodeJS.Platform = process.platform): AppCertificate[] {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(fileOrDir).isDirectory();
  } catch {
    throw new UserFacingError(`--certificate: no file or folder ${fileOrDir}`, ExitCode.invalidInput);
  }
  if (!isDirectory) return [readAppCertificate(fileOrDir, platform)];
  let names: string[];
  try {
    names = readdirSync(fileOrDir).filter((name) => name.endsWith(".pem"));
  } catch (error) {
    throw new UserFacingError(
      `--certificate: cannot read the folder ${fileOrDir} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      ExitCode.invalidInput,
    );
  }
  if (names.length === 0) throw new UserFacingError(`--certificate: the folder ${fileOrDir} has no *.pem file`, ExitCode.invalidInput);
  return names
    .map((name) => readAppCertificate(path.join(fileOrDir, name), platform))
    .sort((a, b) => b.notBefore.getTime() - a.notBefore.getTime() || b.notAfter.getTime() - a.notAfter.getTime());
}

/** Entra refused the credential itself (an unknown, expired or wrongly signed certificate), not the network or Graph. */
export function isCredentialRefusal(error: unknown): boolean {
  const { message, errorResponse } = error as { message?: string; errorResponse?: { error?: string } };
  return errorResponse?.error === "invalid_client" || /\binvalid_client\b|AADSTS700027\b/.test(message ?? "");
}

/**
 * Entra's refusal of a certificate it does not know for the app (AADSTS700027 "… is not registered
 * on application"), its message led by what to do: the key is on the Retain server, the stack
 * registers the certificate. Other refusals stay as they are.
 */
function withUnregisteredHint(error: unknown, certificate: AppCertificate): unknown {
  const entra = /AADSTS700027: [^.[]*not registered[^.[]*/.exec((error as Error).message ?? "")?.[0]?.trim();
  if (!entra) return error;
  (error as Error).message =
    `this certificate (${certificate.thumbprint}, ${certificate.file}) is not registered for Retain's app: add it to the stack's ` +
    `retain-m365:application.credential.certificates and run pulumi up (${entra})`;
  return error;
}

/**
 * Signs in with the first certificate Entra accepts, in the order given; a refusal moves on to the
 * next, and the one accepted is kept for the rest of the run. Other failures (the network) are the
 * caller's to retry. With every certificate refused, the last refusal is the error.
 */
export class CertificateFallbackCredential implements TokenCredential {
  private index = 0;
  private readonly credentials = new Map<number, TokenCredential>();

  constructor(
    readonly certificates: readonly AppCertificate[],
    private readonly credentialFor: (certificate: AppCertificate) => TokenCredential,
    private readonly onRefused: (refused: AppCertificate, next: AppCertificate, reason: string) => void,
  ) {}

  /** The certificate in use: the one accepted, or the one to be tried next. */
  get current(): AppCertificate {
    return this.certificates[this.index]!;
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    for (;;) {
      const index = this.index;
      let credential = this.credentials.get(index);
      if (!credential) this.credentials.set(index, (credential = this.credentialFor(this.certificates[index]!)));
      try {
        return await credential.getToken(scopes, options);
      } catch (error) {
        const next = this.certificates[index + 1];
        if (!isCredentialRefusal(error)) throw error;
        if (next === undefined) throw withUnregisteredHint(error, this.certificates[index]!);
        // Another request may have moved on already.
        if (this.index === index) {
          this.index = index + 1;
          const message = (error as Error).message ?? "";
          this.onRefused(this.certificates[index]!, next, (/AADSTS\d+: [^.[]*/.exec(message)?.[0] ?? message.split("\n")[0] ?? "").trim());
        }
      }
    }
  }
}
