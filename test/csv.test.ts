import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareContract, parseContractCsv, primarySmtpAddress, renderCsv, walkContractCsv } from "../sync/csv";

describe("CSV contract: order", () => {
  it("compares lower-cased code units, ties broken by the original code units, not by locale", () => {
    const sorted = ["zoe@x", "Äbby@x", "abby@x", "Abby@x", "b@x", "Zed@x", "a.b@x", "a@x"].sort(compareContract);
    // "." (0x2E) < "@" (0x40) < "b"; "Abby" < "abby" by code units; "Ä" (0xC4→0xE4) after every ASCII letter.
    assert.deepEqual(sorted, ["a.b@x", "a@x", "Abby@x", "abby@x", "b@x", "Zed@x", "zoe@x", "Äbby@x"]);
  });

  it("takes the primary address from the SMTP: proxy address, else mail", () => {
    assert.equal(primarySmtpAddress(["smtp:alias@x", "SMTP:Main@x"], "main@x"), "Main@x");
    assert.equal(primarySmtpAddress(["smtp:alias@x"], "main@x"), "main@x");
    assert.equal(primarySmtpAddress(null, null), "");
  });
});

describe("CSV contract: format", () => {
  it("quotes every field, doubles quotes, ends every record with CRLF and keeps line breaks inside fields", () => {
    const text = renderCsv(["A", "B"] as const, [{ A: 'say "hi"', B: "two\nlines" }, { A: "", B: "x,y" }]);
    assert.equal(text, '"A","B"\r\n"say ""hi""","two\nlines"\r\n"","x,y"\r\n');
    assert.deepEqual(parseContractCsv(text), [["A", "B"], ['say "hi"', "two\nlines"], ["", "x,y"]]);
    assert.equal(walkContractCsv(text, 2), 3);
  });

  const torn: [string, string, RegExp][] = [
    ["a file cut before its last CRLF", '"A","B"\r\n"1","2"', /record 2 is not terminated by CRLF/],
    ["a file cut inside a field", '"A","B"\r\n"1","2', /record 2 ends inside a quoted field/],
    ["an unquoted field", '"A",B\r\n', /field 2 of record 1 is not quoted/],
    ["a record with a field missing", '"A","B"\r\n"1"\r\n', /record 2 has 1 fields, not 2/],
  ];
  for (const [what, text, error] of torn) {
    it(`detects ${what}`, () => assert.throws(() => walkContractCsv(text, 2), error));
  }
});
