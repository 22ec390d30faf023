import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { extract } from "tar";
import { NODE_RUNTIMES as runtimes } from "./runtimes";

export type Platform = keyof typeof runtimes;
export const PLATFORMS = Object.keys(runtimes) as Platform[];

export interface Runtime {
  version: string;
  /** The extracted Node executable. */
  binary: string;
  /** Node's own LICENSE, shipped beside it (the Windows package has none: the same text as Linux's for the same version). */
  license?: string;
}

/**
 * Node for the platform, from the registry's platform package pinned in runtimes.ts: fetched
 * through npm (so its cache and proxy settings apply), checked against the pinned integrity, and
 * the executable and licence extracted into `workDir`.
 */
export async function fetchRuntime(platform: Platform, workDir: string): Promise<Runtime> {
  const pin = runtimes[platform];
  const downloads = path.join(workDir, "downloads");
  mkdirSync(downloads, { recursive: true });
  const packed = JSON.parse(
    execFileSync("npm", ["pack", `${pin.package}@${pin.version}`, "--pack-destination", downloads, "--json", "--silent"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }),
  ) as { filename: string }[];
  const tarball = path.join(downloads, packed[0]?.filename ?? "");
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  if (integrity !== pin.integrity) throw new Error(`${pin.package}@${pin.version} does not match the integrity pinned in packaging/runtimes.ts`);

  const into = path.join(workDir, platform);
  mkdirSync(into, { recursive: true });
  const wanted = new Set([`package/${pin.binary}`, "package/LICENSE"]);
  await extract({ file: tarball, cwd: into, strip: 1, filter: (entry) => wanted.has(entry) });
  const license = path.join(into, "LICENSE");
  return { version: pin.version, binary: path.join(into, pin.binary), ...(existsSync(license) ? { license } : {}) };
}
