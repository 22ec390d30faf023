import { after, before, beforeEach } from "node:test";
import { startCloudflareEmulator, type CloudflareEmulator, type CloudflareEmulatorOptions } from "../../emulators/cloudflare";
import { trustTestCa } from "../../emulators/tls";

/**
 * One Cloudflare emulator for the whole test file, its CA trusted while it runs; before each test
 * the zones are empty and no request, fault or page-size change is left over. `use` receives it
 * once it has started.
 */
export function useCloudflareEmulator(options: CloudflareEmulatorOptions, use: (emulator: CloudflareEmulator) => void): void {
  let emulator: CloudflareEmulator | undefined;
  let restoreCas = () => undefined as void;
  before(async () => {
    restoreCas = trustTestCa();
    emulator = await startCloudflareEmulator(options);
    use(emulator);
  });
  after(async () => {
    await emulator?.close();
    restoreCas();
  });
  beforeEach(() => {
    if (!emulator) throw new Error("the Cloudflare emulator did not start");
    emulator.state.records.length = 0;
    emulator.state.maxPerPage = options.maxPerPage ?? 5000;
    emulator.requests.length = 0;
    emulator.injected.length = 0;
  });
}
