/** Formats both the configuration and the components' own argument checks hold values to. */

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
