import { version as checkoutVersion } from "../package.json";

/**
 * The version `npm run package` stamps into the Retain-server package's bundle (esbuild's `define`,
 * packaging/bundle.ts): package.json's, or the one given with `--version`. Undeclared elsewhere.
 */
declare const RETAIN_M365_PACKAGE_VERSION: string | undefined;

/** This release's version: what `--version` prints, and what the package's VERSION file and archive names carry. */
export const RETAIN_M365_VERSION: string = typeof RETAIN_M365_PACKAGE_VERSION === "string" ? RETAIN_M365_PACKAGE_VERSION : checkoutVersion;
