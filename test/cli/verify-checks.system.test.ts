import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { checkAutodiscover } from "../../cli/verify-checks";

/** A loopback port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("verify: autodiscover that does not answer", () => {
  it("says why in words (nothing listening), not fetch's 'fetch failed'", async () => {
    const result = await checkAutodiscover(`https://127.0.0.1:${await closedPort()}`, "ann@contoso.com");
    assert.equal(result.ok, false);
    assert.equal(result.detail, "did not answer: the connection was refused: nothing listens at that address and port (ECONNREFUSED)");
    assert.doesNotMatch(result.detail, /fetch failed/);
  });
});
