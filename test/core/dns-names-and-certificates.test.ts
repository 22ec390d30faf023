import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkDomainDnsArgs } from "../../components/dns/domain-dns";
import { checkRetainApplicationArgs } from "../../components/identity/application";
import { validateConfig } from "../../config/validate";
import { toRaw, validRawValues } from "../support/configs";

const ZONE = "0123456789abcdef0123456789abcdef";

/** The stack configuration with its second domain (which no user is in) named `name`. */
function configAcceptsDomain(name: string): boolean {
  const values = validRawValues();
  (values["retain-m365:domains"] as { name: string }[])[1]!.name = name;
  return validateConfig(toRaw(values)).ok;
}
const componentAcceptsDomain = (name: string) => checkDomainDnsArgs({ domain: name, zoneId: ZONE }).length === 0;

function configAcceptsCertificate(certificate: string): boolean {
  const values = validRawValues();
  values["retain-m365:application"] = { credential: { type: "certificate", certificate } };
  return validateConfig(toRaw(values)).ok;
}
const componentAcceptsCertificate = (certificate: string) =>
  checkRetainApplicationArgs({ displayName: "Retain Archiving", credential: { type: "certificate", certificate }, credentialRotation: "initial" }).length === 0;

const CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";

describe("one rule for DNS names and certificates, in the configuration and in the components", () => {
  it("the DomainDns check refuses a label starting with a dash, as the configuration does", () => {
    assert.equal(configAcceptsDomain("-a.com"), false);
    assert.deepEqual(checkDomainDnsArgs({ domain: "-a.com", zoneId: ZONE }), ['domain "-a.com" is not a lower-case DNS name']);
  });

  it("accepts and refuses the same domain names in both places", () => {
    const names = [
      "example.org",
      "mail.example.org",
      "xn--bcher-kva.example",
      "a-b.example.org",
      "a.com",
      "a-.com",
      "localhost",
      "Example.org",
      "a..com",
      "exa_mple.com",
      `${"a".repeat(64)}.com`,
      `${"a".repeat(63)}.com`,
      ".example.org",
      "example.org.",
    ];
    const verdicts = names.map((name) => [name, configAcceptsDomain(name), componentAcceptsDomain(name)] as const);
    for (const [name, config, component] of verdicts)
      assert.equal(component, config, `${name}: configuration ${config ? "accepts" : "refuses"} it, the component does not agree`);
    assert.ok(verdicts.some(([, config]) => config) && verdicts.some(([, config]) => !config));
  });

  it("accepts and refuses the same certificates in both places: one PEM certificate, never a private key", () => {
    const withKey = `${CERTIFICATE}-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n`;
    for (const [certificate, accepted] of [
      [CERTIFICATE, true],
      [withKey, false],
      ["BEGIN CERTIFICATE", false],
      ["MIIBszCCAVmgAwIBAgIU", false],
    ] as const) {
      assert.equal(configAcceptsCertificate(certificate), accepted, certificate);
      assert.equal(componentAcceptsCertificate(certificate), accepted, certificate);
    }
  });
});
