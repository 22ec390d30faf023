import { SERVER_PACKAGE, SYNC_RUNTIME } from "../core/server-package";

const windowsPath = (relative: string) => relative.replace(/\//g, "\\");

/** The Windows package's compile-cache folder, made by Node on first use. */
export const WINDOWS_CACHE = "cache";

/**
 * Linux: a POSIX shell script that finds the package folder through its own path, resolved only
 * when it is a symlink (`ln -s /opt/retain-m365-sync/bin/retain-m365 /usr/local/bin/`): each
 * program it starts costs the start several milliseconds. `exec` hands the exit code through
 * unchanged. The memory settings (SYNC_RUNTIME) yield to values already set.
 *
 * Node's compile cache (NODE_COMPILE_CACHE, Node's "Module compile cache") goes into the folder
 * systemd gives the job (`CacheDirectory=`, as $CACHE_DIRECTORY; job/systemd.ts writes it), so
 * a nightly start reads the bundle's compiled code instead of compiling it; none when run by hand.
 * Node skips a cache folder it cannot make or write, but hangs at start on one under /proc
 * (Node 22.23), so a path there, or a relative one, is not passed on.
 */
export const LINUX_LAUNCHER = `#!/bin/sh
# retain-m365 from the Retain-server package: the package's own Node runs the bundled CLI.
launcher=$0
if [ -L "$launcher" ]; then launcher=$(readlink -f -- "$launcher"); fi
case $launcher in */*) ;; *) launcher=./$launcher ;; esac
package=\${launcher%/*}/..
${Object.entries(SYNC_RUNTIME.glibcEnvironment)
  .map(([name, value]) => `export ${name}="\${${name}:-${value}}"\n`)
  .join("")}if [ -z "\${NODE_COMPILE_CACHE:-}" ] && [ -n "\${CACHE_DIRECTORY:-}" ]; then export NODE_COMPILE_CACHE="$CACHE_DIRECTORY"; fi
case \${NODE_COMPILE_CACHE:-/} in /proc | /proc/* | [!/]*) unset NODE_COMPILE_CACHE ;; esac
exec "$package/${SERVER_PACKAGE.linuxNode}" ${SYNC_RUNTIME.nodeOptions} "$package/${SERVER_PACKAGE.bundle}" "$@"
`;

/**
 * Windows: %~dp0 is the folder of the .cmd itself (with a trailing backslash), %* every argument
 * as given, and `exit /b %ERRORLEVEL%` returns node's exit code to the caller (Task Scheduler's
 * "Last Run Result"). `setlocal` keeps the variable it sets out of the caller's console. Node's
 * compile cache goes into the package's `cache` folder unless NODE_COMPILE_CACHE is set; where the
 * job's account may not write there (Program Files, by default), Node skips it. CRLF line ends,
 * as cmd.exe expects.
 */
export const WINDOWS_LAUNCHER = [
  "@echo off",
  "rem retain-m365 from the Retain-server package: the package's own Node runs the bundled CLI.",
  "setlocal",
  `if not defined NODE_COMPILE_CACHE set "NODE_COMPILE_CACHE=%~dp0${WINDOWS_CACHE}"`,
  `"%~dp0${windowsPath(SERVER_PACKAGE.windowsNode)}" ${SYNC_RUNTIME.nodeOptions} "%~dp0${windowsPath(SERVER_PACKAGE.bundle)}" %*`,
  "exit /b %ERRORLEVEL%",
  "",
].join("\r\n");
