import path from "node:path";
import { SERVER_PACKAGE } from "../core/server-package";
import type { Installation } from "../job/command";

/** This repository's checkout, run with Node. */
export const REPOSITORY_INSTALLATION: Installation = {};

/** The package that holds this bundle: `<package>/lib/<bundle>`, launchers relative to `<package>`. */
export function packageInstallation(bundleFile: string, platform: NodeJS.Platform = process.platform): Installation {
  const paths = platform === "win32" ? path.win32 : path.posix;
  const root = paths.resolve(paths.dirname(bundleFile), "..");
  return { packageLauncher: paths.join(root, platform === "win32" ? SERVER_PACKAGE.windowsLauncher : SERVER_PACKAGE.linuxLauncher) };
}
