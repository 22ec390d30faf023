/** What counts as a DNS domain name, for the configuration, the CLI and the components' own argument checks. */
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A lower-case DNS domain name of at least two labels: a-z, 0-9 and "-" (not first or last),
 * internationalised names in their xn-- form.
 */
export function isDnsName(name: string): boolean {
  const labels = name.split(".");
  return name.length <= 253 && labels.length >= 2 && labels.every((label) => DNS_LABEL.test(label));
}
