// Runs inside the package's bundle (packaging/bundle.ts puts it there): Node's modules and the
// packages only some commands need are loaded the first time one of their exports is read.
import { compileFunction } from "node:vm";
import type * as Zlib from "node:zlib";

export interface LazySources {
  /** Each group: a CommonJS module, brotli-compressed, whose exports map each of its specifiers to that package's exports. */
  groups: { name: string; packages: string[]; brotliBase64: string }[];
  /** Which group holds each specifier. */
  groupOf: Record<string, number>;
}

// A module the bundler writes (packaging/bundle.ts); it has no file.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sources = require("retain-m365:lazy-sources") as LazySources;
const loaded = new Map<number, Record<string, unknown>>();

/** `require` for the groups' code: their own specifiers from here, everything else (Node's modules) from Node. */
export function lazyRequire(specifier: string): unknown {
  const group = sources.groupOf[specifier];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (group === undefined) return require(specifier);
  let exportsOf = loaded.get(group);
  if (!exportsOf) {
    const { name, brotliBase64 } = sources.groups[group] as LazySources["groups"][number];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- node:zlib takes milliseconds to load; a start without these groups does without it
    const { brotliDecompressSync } = require("node:zlib") as typeof Zlib;
    const code = brotliDecompressSync(Buffer.from(brotliBase64, "base64")).toString("utf8");
    const module = { exports: {} as Record<string, unknown> };
    // Named after the bundle and the group, so stack traces say where the code came from.
    const wrapper = compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], { filename: `${__filename}#${name}` });
    wrapper(module.exports, lazyRequire, module, __filename, __dirname);
    exportsOf = module.exports;
    loaded.set(group, exportsOf);
  }
  return exportsOf[specifier];
}

/**
 * A stand-in for a module's exports: the names are known when the bundle is built, and the module
 * is loaded only when one of them is first read (esbuild's import interop copies getters, not
 * values, so `import { x } from` a stand-in does not load it either).
 */
export function lazyExports(specifier: string, names: readonly string[], esModule: boolean): object {
  const exports: Record<string, unknown> = {};
  if (esModule) Object.defineProperty(exports, "__esModule", { value: true });
  for (const name of names) {
    Object.defineProperty(exports, name, { enumerable: true, get: () => (lazyRequire(specifier) as Record<string, unknown>)[name] });
  }
  return exports;
}
