import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { CLOUDS } from "../../m365/clouds";
import { runCliAsync } from "../support/cli";
import { runMain } from "../support/contract";
import { countingListener } from "../support/listener";

// The nightly job's sync as a process whose environment names another login host and a proxy
// (HTTPS_PROXY is the process's): it signs in at the host its unit names, through the proxy.

describe("AZURE_AUTHORITY_HOST: the nightly job names its own host", () => {
  const ids = ["--tenant-id", "00000000-0000-4000-8000-0000000000aa", "--client-id", "00000000-0000-4000-8000-0000000000bb"];

  it("the job signs Retain's app in at the cloud's login host, never at the host the variable names", async () => {
    const unit = await runMain(["schedule", "--systemd", ...ids, "--out", "/srv/retain/cfg"]);
    const jobAuthority = / --authority-host (\S+) /.exec(unit.stdout)?.[1];
    assert.equal(jobAuthority, CLOUDS.global.login, unit.stdout + unit.stderr);
    const proxied: string[] = [];
    const proxy = await countingListener((line) => proxied.push(line));
    const authority = await countingListener();
    try {
      const out = mkdtempSync(path.join(tmpdir(), "retain-endpoints-job-"));
      // The token request goes through a loopback proxy, which records where it was headed and closes.
      const result = await runCliAsync(
        ["sync", ...ids, "--authority-host", jobAuthority!, "--out", out, "--graph-endpoint", `https://127.0.0.1:${authority.port}`],
        {
          env: {
            RETAIN_SYNC_CLIENT_SECRET: "s3cret",
            AZURE_AUTHORITY_HOST: `https://127.0.0.1:${authority.port}`,
            HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`,
            https_proxy: "",
            NO_PROXY: "",
            no_proxy: "",
          },
        },
      );
      assert.notEqual(result.code, 0, result.stderr);
      assert.ok(proxied.length > 0, `the token request went through the proxy: ${result.stderr}`);
      for (const line of proxied) assert.equal(line, "CONNECT login.microsoftonline.com:443 HTTP/1.1");
      assert.equal(authority.connections(), 0, "nothing connected to the host AZURE_AUTHORITY_HOST names");
    } finally {
      await proxy.close();
      await authority.close();
    }
  });
});
