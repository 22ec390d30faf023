import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { ewsUrl, exchangeTokenScope, getInboxEnvelope, readSoapAnswer } from "../../m365/ews-client";

describe("EWS requests as Retain makes them", () => {
  it("the EWS URL and the token scope of each cloud; --ews-endpoint changes the URL, never the scope", () => {
    assert.equal(ewsUrl("global"), "https://outlook.office365.com/EWS/Exchange.asmx");
    assert.equal(ewsUrl("usgov"), "https://outlook.office365.us/EWS/Exchange.asmx");
    assert.equal(ewsUrl("global", "https://127.0.0.1:8443/"), "https://127.0.0.1:8443/EWS/Exchange.asmx");
    assert.equal(exchangeTokenScope("global"), "https://outlook.office365.com/.default");
  });

  it("the GetFolder envelope is well-formed XML that carries any address exactly", () => {
    const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, parseTagValue: false, htmlEntities: true });
    for (const address of [`a<b"c'd&e>@contoso.com`, "plain@contoso.com", "&amp;@contoso.com", "zoë@contoso.com"]) {
      const envelope = getInboxEnvelope(address);
      assert.equal(XMLValidator.validate(envelope), true, address);
      const parsed = parser.parse(envelope) as { Envelope: { Header: { ExchangeImpersonation: { ConnectingSID: { SmtpAddress: string } } } } };
      assert.equal(parsed.Envelope.Header.ExchangeImpersonation.ConnectingSID.SmtpAddress, address);
    }
  });
});

describe("EWS answers, whatever prefixes Exchange writes", () => {
  it("a response message: ResponseClass, ResponseCode, MessageText (Microsoft's error response example, default namespace)", () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
      <GetFolderResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><ResponseMessages>
      <GetFolderResponseMessage ResponseClass='Error'><MessageText>The SMTP address has no mailbox associated with it.</MessageText>
      <ResponseCode>ErrorNonExistentMailbox</ResponseCode><DescriptiveLinkKey>0</DescriptiveLinkKey></GetFolderResponseMessage>
      </ResponseMessages></GetFolderResponse></s:Body></s:Envelope>`;
    assert.deepEqual(readSoapAnswer(xml), {
      responseClass: "Error",
      code: "ErrorNonExistentMailbox",
      message: "The SMTP address has no mailbox associated with it.",
      folder: undefined,
    });
  });

  it("a SOAP fault: the detail's ResponseCode and Message, entities decoded, BackOffMilliseconds", () => {
    const xml = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
      <faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>
      <faultstring xml:lang="en-US">Busy &amp; &#x2018;throttled&#8217;</faultstring><detail>
      <e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>
      <e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now &lt;now&gt;.</e:Message>
      <t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><t:Value Name="BackOffMilliseconds">2500</t:Value></t:MessageXml>
      </detail></s:Fault></s:Body></s:Envelope>`;
    assert.deepEqual(readSoapAnswer(xml), {
      responseClass: "Error",
      code: "ErrorServerBusy",
      message: "The server cannot service this request right now <now>.",
      folder: undefined,
      backOffMs: "2500",
    });
    assert.equal(
      readSoapAnswer(xml.replace(/<e:ResponseCode[^]*?<\/e:Message>/, ""))?.message,
      "Busy & ‘throttled’",
      "faultcode and faultstring without a detail",
    );
  });

  it("not an EWS answer: an HTML error page, or an envelope cut short", () => {
    assert.equal(readSoapAnswer("<html><body>Service Unavailable</body></html>"), undefined);
    assert.equal(
      readSoapAnswer(
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetFolderResponse><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:Resp',
      ),
      undefined,
    );
  });
});
