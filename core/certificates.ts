/** Certificates as Entra takes them (PEM, public part only) and their thumbprint in one spelling. */
import { X509Certificate } from "node:crypto";

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\s[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*$/;

/** One PEM certificate and nothing else: Entra takes the public part only, never a private key. */
export function isPemCertificate(text: string): boolean {
  return PEM_CERTIFICATE.test(text);
}

/**
 * A certificate's thumbprint as Entra and Windows spell it: the SHA-1 of the DER in upper-case hex, no
 * separators (the portal's "Thumbprint", `Get-ChildItem Cert:\` and `Connect-IPPSSession
 * -CertificateThumbprint`). The one spelling in outputs, file names, resource names, status and metrics.
 */
export function thumbprintOf(certificate: X509Certificate): string {
  return certificate.fingerprint.replace(/:/g, "").toUpperCase();
}

/** A thumbprint spelt as thumbprintOf spells it. */
export function isThumbprint(text: string): boolean {
  return /^[0-9A-F]{40}$/.test(text);
}

/** What the stack needs to know of a certificate: its thumbprint and when it expires. */
export interface CertificateFacts {
  thumbprint: string;
  notAfter: Date;
}

/** The facts of one PEM certificate, or undefined when it cannot be read as X.509. */
export function pemCertificateFacts(pem: string): CertificateFacts | undefined {
  if (!isPemCertificate(pem)) return undefined;
  try {
    const certificate = new X509Certificate(pem);
    return { thumbprint: thumbprintOf(certificate), notAfter: new Date(certificate.validTo) };
  } catch {
    return undefined;
  }
}
