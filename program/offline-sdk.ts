import Module from "node:module";

// Imported first by plan.ts, before anything loads @pulumi/pulumi: the offline plan runs the
// program under the mock runtime and needs less of the SDK than a deployment. Measured with
// `node --cpu-prof` (2026-12-01), `plan --stack` spent about half of its time on the three parts below.

/**
 * Serializing dynamic providers (the TypeScript compiler to parse their code, and the V8
 * inspector to find what each function captures) is for the engine, which runs them at deploy
 * time; the plan leaves the `__provider` input out. So the plan does not serialize them: the
 * serialization itself is tested with the components (test/components/exchange.test.ts).
 */
const NOT_SERIALIZED = { text: "", containsSecrets: false };
const offlineSerializer = {
  serializeFunction: () => Promise.resolve(NOT_SERIALIZED),
  serializeFunctionAsync: () => Promise.resolve(""),
};

/** The Automation API and npm's dependency reader (code paths for closures) are never called by a plan: loaded on first use instead. */
function loadedOnUse(file: string): object {
  let real: Record<string | symbol, unknown> | undefined;
  const load = () => {
    delete require.cache[file];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the real module, on first use
    return (real ??= require(file) as Record<string | symbol, unknown>);
  };
  return new Proxy(
    {},
    {
      // `__esModule` makes TypeScript's import helpers keep this object instead of copying its keys.
      get: (_target, key) => (key === "__esModule" ? true : load()[key]),
      has: (_target, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_target, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

function preload(file: string, exports: object): void {
  if (require.cache[file]) return;
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = exports;
  require.cache[file] = stub;
}

function trimSdk(): void {
  const sdkRoot = require.resolve("@pulumi/pulumi");
  const sdkFile = (id: string) => require.resolve(id, { paths: [sdkRoot] });
  preload(sdkFile("@pulumi/pulumi/runtime/closure/serializeClosure"), offlineSerializer);
  preload(sdkFile("@pulumi/pulumi/automation"), loadedOnUse(sdkFile("@pulumi/pulumi/automation")));
  preload(sdkFile("@npmcli/arborist"), loadedOnUse(sdkFile("@npmcli/arborist")));
}

try {
  trimSdk();
} catch {
  // A layout where these files cannot be found (a bundle): the SDK loads whole, which is only slower.
}
