import * as pulumi from "@pulumi/pulumi";
import type { TenantConfig } from "../config/schema";
import { nightlySyncInstallCommand } from "../job/install-command";
import { DEFAULT_FIRST_SYNC_TIMING, firstSyncAfterDeploy, type FirstSyncTiming } from "../sync/first-sync";

export interface FirstSyncHookArgs {
  tenantId: string;
  /** Read when the hook runs: the application exists by then. */
  clientId: () => pulumi.Output<string>;
  /** The client secret's end date, for the nightly job's install command. */
  secretExpires: () => pulumi.Output<string | undefined> | undefined;
  directorySync: TenantConfig["directorySync"];
  /** Tests pass their own endpoints and clock; a deployment Microsoft's. */
  endpoints?: { graphEndpoint: string; authorityHost: string };
  timing?: FirstSyncTiming;
  /** Pulumi's log (the deployment's output) unless given. */
  log?: (message: string) => void;
}

async function valueOf<T>(value: T | pulumi.Output<T>): Promise<T> {
  if (!pulumi.Output.isInstance(value)) return value;
  return new Promise((resolve) => value.apply((v) => (resolve(v), v)));
}

/**
 * Runs the first directory sync when the resource it is bound to (Retain's client secret) has been
 * created. The engine calls it once, after creation, never in a preview; the secret comes from the
 * engine's outputs and stays in memory. On the Retain server it writes the CSVs; elsewhere (a CI
 * runner) it proves the app's access and says how to install the nightly job (firstSyncAfterDeploy).
 */
export function firstSyncHook(name: string, args: FirstSyncHookArgs): pulumi.ResourceHook {
  return new pulumi.ResourceHook(name, firstSyncAfterSecretCreated(name, args), { onDryRun: false });
}

/** What the hook runs, with the engine's arguments (its own function, so that tests call it without an engine). */
export function firstSyncAfterSecretCreated(name: string, args: FirstSyncHookArgs): pulumi.ResourceHookFunction {
  return async (hook) => {
    const clientSecret = await valueOf<string>(hook.newOutputs?.value as string | pulumi.Output<string>);
    if (!clientSecret) throw new Error(`${name}: ${hook.name} has no client secret output`);
    const log = args.log ?? ((message: string) => void pulumi.log.info(message));
    const clientId = await valueOf(args.clientId());
    const { summary, wroteOutputFolder } = await firstSyncAfterDeploy(
      {
        tenantId: args.tenantId,
        clientId,
        clientSecret,
        outDir: args.directorySync.outputDir,
        backups: args.directorySync.backups,
        maxShrinkPercent: args.directorySync.maxShrinkPercent,
        ...args.endpoints,
      },
      { ...(args.timing ?? DEFAULT_FIRST_SYNC_TIMING), log },
    );
    const counts = `${summary.users} users and ${summary.groups} groups (${summary.memberships} memberships)`;
    if (wroteOutputFolder) {
      log(`first directory sync: wrote ${counts} into ${args.directorySync.outputDir}`);
      return;
    }
    const secretExpires = await valueOf(args.secretExpires());
    const install = nightlySyncInstallCommand({ tenantId: args.tenantId, clientId, outputDir: args.directorySync.outputDir, secretExpires });
    log(
      `first directory sync: read ${counts} with Retain's new app, so its permissions work; ${args.directorySync.outputDir} is not on this machine ` +
        `(the deployment runs elsewhere than the Retain server), so nothing was written and nothing of the output was kept here. ` +
        `The CSVs come from the nightly job on the Retain server; install it there as root: ${install}`,
    );
  };
}
