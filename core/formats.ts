/** Formats both the configuration and the components' own argument checks hold values to. */
import { X509Certificate } from "node:crypto";

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A lower-case DNS domain name of at least two labels: a-z, 0-9 and "-" (not first or last),
 * internationalised names in their xn-- form.
 */
export function isDnsName(name: string): boolean {
  const labels = name.split(".");
  return name.length <= 253 && labels.length >= 2 && labels.every((label) => DNS_LABEL.test(label));
}

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\s[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*$/;

/** One PEM certificate and nothing else: Entra takes the public part only, never a private key. */
export function isPemCertificate(text: string): boolean {
  return PEM_CERTIFICATE.test(text);
}

/** What the stack needs to know of a certificate: Entra's thumbprint (SHA-1 of the DER, lower-case hex) and when it expires. */
export interface CertificateFacts {
  thumbprint: string;
  notAfter: Date;
}

/** The facts of one PEM certificate, or undefined when it cannot be read as X.509. */
export function pemCertificateFacts(pem: string): CertificateFacts | undefined {
  if (!isPemCertificate(pem)) return undefined;
  try {
    const certificate = new X509Certificate(pem);
    return { thumbprint: certificate.fingerprint.replace(/:/g, "").toLowerCase(), notAfter: new Date(certificate.validTo) };
  } catch {
    return undefined;
  }
}
