import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareContract, primarySmtpAddress } from "../../sync/address-book";
import { ContractCsvWalker, countLegacyCsvRecords, parseContractCsv, renderCsv, walkContractCsv } from "../../sync/csv";

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
    const text = renderCsv(
      ["A", "B"],
      [
        ['say "hi"', "two\nlines"],
        ["", "x,y"],
      ],
    );
    assert.equal(text, '"A","B"\r\n"say ""hi""","two\nlines"\r\n"","x,y"\r\n');
    assert.deepEqual(parseContractCsv(text), [
      ["A", "B"],
      ['say "hi"', "two\nlines"],
      ["", "x,y"],
    ]);
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

describe("CSV contract: checking files as they stream by", () => {
  const rows = [
    ['Zoë "Z" Ärger', "a@x;b@x"],
    ["日本 太郎\r\nLine 2", ""],
    ["", "x,y"],
  ];
  const text = renderCsv(["Name", "Members"], rows);
  const bytes = Buffer.from(text, "utf8");

  it("gives the same records whatever the pieces the bytes arrive in, even inside a multi-byte character", () => {
    const whole = parseContractCsv(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const values: string[][] = [];
      const walker = new ContractCsvWalker(2, (value, record) => (values[record] ??= []).push(value));
      walker.push(bytes.subarray(0, cut));
      walker.push(bytes.subarray(cut));
      assert.equal(walker.end(), 4, `cut at ${cut}`);
      assert.deepEqual(values, whole, `cut at ${cut}`);
    }
  });

  it("finds a file cut short at any point between two records", () => {
    const recordEnds = [1, 2, 3, 4].map((records) => Buffer.byteLength(renderCsv(["Name", "Members"], rows.slice(0, records - 1))));
    for (let cut = 1; cut < bytes.length; cut++) {
      const walker = new ContractCsvWalker(2);
      walker.push(bytes.subarray(0, cut));
      const complete = recordEnds.indexOf(cut);
      if (complete >= 0) assert.equal(walker.end(), complete + 1, `cut at ${cut}`);
      else assert.throws(() => walker.end(), /ends inside a quoted field|is not terminated by CRLF/, `cut at ${cut}`);
    }
  });

  it("counts the records of an old sync365.ps1 file (BOM, #TYPE line, LF, unquoted) in any pieces", () => {
    const legacy = Buffer.from(
      '\uFEFF#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox\nDisplayName,Alias\nAnn,ann\n"Bo\nB",bob\nCy,cy\n',
      "utf8",
    );
    for (let cut = 0; cut <= legacy.length; cut++) {
      assert.equal(countLegacyCsvRecords([legacy.subarray(0, cut), legacy.subarray(cut)].filter((piece) => piece.length > 0)), 3, `cut at ${cut}`);
    }
    assert.equal(countLegacyCsvRecords([Buffer.from(text)]), 3);
    assert.equal(countLegacyCsvRecords([Buffer.from(" \r\n")]), 0);
    assert.equal(countLegacyCsvRecords([Buffer.from('"unterminated\n')]), undefined);
  });
});
