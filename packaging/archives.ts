import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { create } from "tar";
import { ZipFile } from "yazl";

/**
 * Every entry of a staged folder, parents before children, in one fixed order, so the same folder
 * always gives the same archive.
 */
export function entriesOf(stagingDir: string, top: string): string[] {
  const walk = (relative: string): string[] => {
    const absolute = path.join(stagingDir, relative);
    if (!statSync(absolute).isDirectory()) return [relative];
    const children = readdirSync(absolute)
      .sort()
      .flatMap((name) => walk(path.posix.join(relative, name)));
    return [`${relative}/`, ...children];
  };
  return walk(top);
}

/**
 * A gzip'd tar of the entries. `portable` leaves out owner, group and the other per-machine
 * fields; every entry gets `mtime`; the modes are the staged files' own (set by the caller).
 * zlib's default level, as the zip's: level 9 saves under 1 % on Node's binary, which is most of
 * the archive, for about three times the CPU.
 */
export async function writeTarGz(stagingDir: string, entries: string[], mtime: Date, file: string): Promise<void> {
  await create(
    { file, cwd: stagingDir, gzip: true, portable: true, mtime, noDirRecurse: true },
    entries.map((entry) => entry.replace(/\/$/, "")),
  );
}

/**
 * A zip of the entries. Zip stores local DOS times, which yazl takes from the Date's local
 * fields: a Date whose local fields are `mtime`'s UTC fields gives every machine the same bytes.
 */
export async function writeZip(stagingDir: string, entries: string[], mtime: Date, file: string): Promise<void> {
  const zip = new ZipFile();
  const dosTime = new Date(mtime.getUTCFullYear(), mtime.getUTCMonth(), mtime.getUTCDate(), mtime.getUTCHours(), mtime.getUTCMinutes(), mtime.getUTCSeconds());
  for (const entry of entries) {
    if (entry.endsWith("/")) zip.addEmptyDirectory(entry, { mtime: dosTime, mode: 0o40755, forceDosTimestamp: true });
    else
      zip.addFile(path.join(stagingDir, entry), entry, {
        mtime: dosTime,
        mode: statSync(path.join(stagingDir, entry)).mode,
        compress: true,
        forceDosTimestamp: true,
      });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

/** One line of `sha256sum` output: `<hex>  <file name>`. */
export async function sha256Line(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return `${hash.digest("hex")}  ${path.basename(file)}\n`;
}
