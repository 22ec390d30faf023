import { SERVER_PACKAGE, SYNC_RUNTIME } from "../core/server-package";

const windowsPath = (relative: string) => relative.replace(/\//g, "\\");

/**
 * Linux: a POSIX shell script that finds the package folder through its own path, resolved only
 * when it is a symlink (`ln -s /opt/retain-m365-sync/bin/retain-m365 /usr/local/bin/`): each
 * program it starts costs the start several milliseconds. `exec` hands the exit code through
 * unchanged. The memory settings (SYNC_RUNTIME) yield to values already set.
 */
export const LINUX_LAUNCHER = `#!/bin/sh
# retain-m365 from the Retain-server package: the package's own Node runs the bundled CLI.
launcher=$0
if [ -L "$launcher" ]; then launcher=$(readlink -f -- "$launcher"); fi
case $launcher in */*) ;; *) launcher=./$launcher ;; esac
package=\${launcher%/*}/..
${Object.entries(SYNC_RUNTIME.glibcEnvironment)
  .map(([name, value]) => `export ${name}="\${${name}:-${value}}"\n`)
  .join("")}exec "$package/${SERVER_PACKAGE.linuxNode}" ${SYNC_RUNTIME.nodeOptions} "$package/${SERVER_PACKAGE.bundle}" "$@"
`;

/**
 * Windows: %~dp0 is the folder of the .cmd itself (with a trailing backslash), %* every argument
 * as given, and `exit /b %ERRORLEVEL%` returns node's exit code to the caller (Task Scheduler's
 * "Last Run Result"). CRLF line ends, as cmd.exe expects.
 */
export const WINDOWS_LAUNCHER = [
  "@echo off",
  "rem retain-m365 from the Retain-server package: the package's own Node runs the bundled CLI.",
  `"%~dp0${windowsPath(SERVER_PACKAGE.windowsNode)}" ${SYNC_RUNTIME.nodeOptions} "%~dp0${windowsPath(SERVER_PACKAGE.bundle)}" %*`,
  "exit /b %ERRORLEVEL%",
  "",
].join("\r\n");
