import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { makeAppCertificate, readAppCertificate } from "../../m365/app-certificate";
import { pemCertificateFacts } from "../../core/certificates";

/** The random bytes a serial is made from, as chosen here rather than drawn. */
const bytes = (hex: string) => () => Buffer.from(hex.padEnd(32, "5a"), "hex");

describe("credential new's certificate", () => {
  // node-forge strips one leading zero byte of an INTEGER, not all: serials drawn as 00 00 0x… were
  // written as the non-minimal INTEGER 00 0x…, which OpenSSL refuses ("asn1 encoding routines::
  // illegal padding"), about once in 8,192 certificates. Every leading pattern that can go wrong:
  for (const drawn of ["00000000", "00007f", "000080", "0000", "007f", "0080", "80", "ff", "ffff7f", "01"]) {
    it(`is read by OpenSSL and by the sync whatever the serial's random bytes (${drawn}…)`, async () => {
      const made = await makeAppCertificate(30, new Date(), bytes(drawn));
      const certificate = new X509Certificate(made.certificatePem);
      // Positive, non-zero, and 16 bytes or fewer, as RFC 5280 §4.1.2.2 asks.
      assert.match(certificate.serialNumber, /^[1-7][0-9A-F]{31}$|^0?[1-9A-F][0-9A-F]*$/);
      assert.ok(certificate.serialNumber.length <= 32);
      const file = path.join(mkdtempSync(path.join(tmpdir(), "retain-serial-")), "app.pem");
      writeFileSync(file, made.filePem, { mode: 0o600 });
      assert.equal(readAppCertificate(file, "linux").thumbprint, made.thumbprint);
    });
  }
});

describe("a certificate's thumbprint", () => {
  it("is spelt one way, Entra's upper-case hex, by credential new, the sync and the stack (outputs and resource names)", async () => {
    const made = await makeAppCertificate(30, new Date());
    const file = path.join(mkdtempSync(path.join(tmpdir(), "retain-thumbprint-")), "app.pem");
    writeFileSync(file, made.filePem, { mode: 0o600 });
    assert.match(made.thumbprint, /^[0-9A-F]{40}$/);
    assert.equal(made.thumbprint, new X509Certificate(made.certificatePem).fingerprint.replace(/:/g, ""));
    assert.equal(readAppCertificate(file, "linux").thumbprint, made.thumbprint);
    assert.equal(pemCertificateFacts(made.certificatePem)?.thumbprint, made.thumbprint);
  });
});
