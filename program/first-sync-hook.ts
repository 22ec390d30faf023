import * as pulumi from "@pulumi/pulumi";
import type { TenantConfig } from "../config/schema";
import { DEFAULT_FIRST_SYNC_TIMING, runFirstSync } from "../sync/first-sync";

export interface FirstSyncHookArgs {
  tenantId: string;
  /** Read when the hook runs: the application exists by then. */
  clientId: () => pulumi.Output<string>;
  directorySync: TenantConfig["directorySync"];
}

async function valueOf<T>(value: T | pulumi.Output<T>): Promise<T> {
  if (!pulumi.Output.isInstance(value)) return value;
  return new Promise((resolve) => value.apply((v) => (resolve(v), v)));
}

/**
 * Runs the first directory sync when the resource it is bound to (Retain's client secret) has been
 * created. The engine calls it once, after creation, never in a preview; the secret comes from the
 * engine's outputs and stays in memory.
 */
export function firstSyncHook(name: string, args: FirstSyncHookArgs): pulumi.ResourceHook {
  return new pulumi.ResourceHook(
    name,
    async (hook) => {
      const clientSecret = await valueOf<string>(hook.newOutputs?.value as string | pulumi.Output<string>);
      if (!clientSecret) throw new Error(`${name}: ${hook.name} has no client secret output`);
      await runFirstSync(
        {
          tenantId: args.tenantId,
          clientId: await valueOf(args.clientId()),
          clientSecret,
          outDir: args.directorySync.outputDir,
          backups: args.directorySync.backups,
          maxShrinkPercent: args.directorySync.maxShrinkPercent,
        },
        { ...DEFAULT_FIRST_SYNC_TIMING, log: (message) => void pulumi.log.info(message) },
      );
    },
    { onDryRun: false },
  );
}
