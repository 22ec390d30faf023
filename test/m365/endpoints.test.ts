import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLOUDFLARE_API_BASE, CLOUDS } from "../../m365/clouds";
import { authorityFor, credentialFromEnvironment } from "../../m365/credentials";
import { checkedEndpoint, endpointProblem, type EndpointService } from "../../m365/endpoints";
import { ExitCode, UserFacingError } from "../../core/errors";
import { setEnvironment } from "../support/environment";

describe("the endpoint rule (m365/endpoints.ts)", () => {
  const accepted: [EndpointService, string][] = [
    ...Object.values(CLOUDS).flatMap((cloud): [EndpointService, string][] => [
      ["graph", cloud.graph],
      ["exchange", cloud.exchange],
      ["compliance", cloud.compliance],
      ["login", cloud.login],
      ...cloud.autodiscover.map((url): [EndpointService, string] => ["autodiscover", url]),
    ]),
    ["cloudflare", CLOUDFLARE_API_BASE],
    ["graph", "https://GRAPH.microsoft.com./"],
    ["login", "https://127.0.0.1:8443"],
    ["login", "https://127.1.2.3"],
    ["graph", "https://[::1]:9443/"],
    ["exchange", "https://localhost:9443"],
    ["compliance", "https://nam12b.ps.compliance.protection.outlook.com"],
    ["compliance", "https://127.0.0.1:9443"],
    ["cloudflare", "https://localhost/client/v4"],
  ];
  for (const [service, url] of accepted) {
    it(`accepts ${url} for ${service}`, () => assert.equal(endpointProblem(url, service), undefined));
  }

  const refused: [EndpointService, string, RegExp][] = [
    ["login", "http://127.0.0.1:8443", /must be an https:\/\/ URL: credentials and tokens never travel in clear/],
    ["cloudflare", "http://api.cloudflare.com/client/v4", /must be an https:\/\/ URL/],
    [
      "login",
      "https://login.example.test",
      /must be an Entra ID login host \(login\.microsoftonline\.com, login\.microsoftonline\.us, login\.chinacloudapi\.cn\) or a loopback address/,
    ],
    ["graph", "https://graph.microsoft.com.attacker.example", /must be a Microsoft Graph host/],
    ["graph", "https://login.microsoftonline.com", /must be a Microsoft Graph host/],
    ["login", "https://graph.microsoft.com", /must be an Entra ID login host/],
    ["exchange", "https://0.0.0.0:443", /must be an Exchange Online host/],
    ["exchange", "https://10.0.0.1", /must be an Exchange Online host/],
    ["compliance", "https://outlook.office365.com", /must be a Security & Compliance host/],
    ["compliance", "https://a.b.ps.compliance.protection.outlook.com", /must be a Security & Compliance host/],
    ["cloudflare", "https://cloudflare.com/client/v4", /must be Cloudflare's API host \(api\.cloudflare\.com\)/],
    ["autodiscover", "https://autodiscover.contoso.com", /must be an Exchange Online autodiscover host/],
    ["login", "https://user:pass@login.microsoftonline.com", /must not carry a user name or password/],
    ["graph", "file:///etc/passwd", /must be an https:\/\/ URL/],
    ["graph", "graph.microsoft.com", /must be an https:\/\/ URL/],
    ["graph", "https://graph.microsoft.com/\nx", /without spaces or control characters/],
  ];
  for (const [service, url, reason] of refused) {
    it(`refuses ${JSON.stringify(url)} for ${service}`, () => assert.match(endpointProblem(url, service) ?? "accepted", reason));
  }

  it("refuses with exit 2 naming the flag or variable it came from", () => {
    assert.throws(
      () => checkedEndpoint("http://evil.example", "login", "--authority-host"),
      (error: unknown) =>
        error instanceof UserFacingError && error.exitCode === ExitCode.invalidInput && /^--authority-host must be an https:\/\/ URL/.test(error.message),
    );
  });

  it("holds AZURE_AUTHORITY_HOST to it wherever a credential signs in; a flag wins over the variable", () => {
    const restore = setEnvironment({
      AZURE_AUTHORITY_HOST: "https://attacker.example",
      AZURE_CLIENT_ID: "00000000-0000-4000-8000-0000000000cc",
      AZURE_CLIENT_SECRET: "x",
    });
    try {
      assert.throws(() => authorityFor("global"), /: AZURE_AUTHORITY_HOST must be an Entra ID login host/);
      assert.throws(() => credentialFromEnvironment("00000000-0000-4000-8000-0000000000aa"), /: AZURE_AUTHORITY_HOST must be an Entra ID login host/);
      assert.deepEqual(authorityFor("global", CLOUDS.global.login), { authorityHost: CLOUDS.global.login, disableInstanceDiscovery: true });
      assert.throws(() => authorityFor("global", "https://attacker.example"), /: --authority-host must be an Entra ID login host/);
    } finally {
      restore();
    }
  });
});
