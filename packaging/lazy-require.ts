// Runs inside the package's bundle (packaging/bundle.ts puts it there): some of Node's modules and
// the packages only some commands need are loaded the first time one of their exports is read.
import type * as Vm from "node:vm";
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
const loaded = new Map<number, { exports: Record<string, unknown> }>();

/** `require` for the groups' code: their own specifiers from here, everything else (Node's modules) from Node. */
export function lazyRequire(specifier: string): unknown {
  const group = sources.groupOf[specifier];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (group === undefined) return require(specifier);
  let module = loaded.get(group);
  if (!module) {
    module = { exports: {} };
    // As Node does with a module: known before it runs (a cycle gets the exports so far), forgotten if it throws.
    loaded.set(group, module);
    try {
      compile(sources.groups[group] as LazySources["groups"][number])(module.exports, lazyRequire, module, __filename, __dirname);
    } catch (error) {
      loaded.delete(group);
      throw error;
    }
  }
  return module.exports[specifier];
}

function compile({ name, brotliBase64 }: LazySources["groups"][number]): (...args: unknown[]) => void {
  // Required here, not at the top: a start that needs no group does without node:vm and node:zlib.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { brotliDecompressSync } = require("node:zlib") as typeof Zlib;
  const vm = require("node:vm") as typeof Vm;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const code = brotliDecompressSync(Buffer.from(brotliBase64, "base64")).toString("utf8");
  return vm.compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], {
    // Named after the bundle and the group, so stack traces say where the code came from.
    filename: `${__filename}#${name}`,
    // import() inside a group goes to Node's own loader, as it would from a file.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  }) as (...args: unknown[]) => void;
}

/**
 * A stand-in for a module's exports: the names are known when the bundle is built, and the module
 * is loaded only when one of them is first read (esbuild's import interop copies getters, not
 * values, so `import { x } from` a stand-in does not load it either). Reading only: a stand-in
 * cannot be assigned to, and names Node does not list (non-enumerable ones) are not on it.
 */
export function lazyExports(specifier: string, names: readonly string[], esModule: boolean): object {
  const exports: Record<string, unknown> = {};
  if (esModule) Object.defineProperty(exports, "__esModule", { value: true });
  for (const name of names) {
    Object.defineProperty(exports, name, { enumerable: true, get: () => (lazyRequire(specifier) as Record<string, unknown>)[name] });
  }
  return exports;
}
