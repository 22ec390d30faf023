import type { Client } from "@microsoft/microsoft-graph-client";
import { applyDelta, latestDeltaLinks, readDeltaRounds } from "./delta";
import { filesAsWritten, loadDeltaHeader, loadDeltaState, type DeltaHeader, type DeltaLinks, type WrittenFiles } from "./delta-state";
import { readDirectory, type ReadOptions } from "./directory-reader";
import type { Directory } from "./directory";

// Steps 1 and 2 of a sync (pipeline.ts): read what changed since the last run, or everything, and
// merge it into the directory.

export interface LatestOptions extends ReadOptions {
  outDir: string;
  /** Ignore the saved delta state and read everything. */
  full: boolean;
  /** The saved state may be believed (output-folder.ts checkOutputFolder). */
  trustState: boolean;
}

/** What a run renders: the directory as it is now and the links the next run resumes from, or (`unchanged`) nothing. */
export type Latest =
  | { unchanged: false; mode: "full" | "delta"; directory: Directory; links?: DeltaLinks }
  /** Graph reported no change and the files are the ones last written: `saved`, with the links of the round just read. */
  | { unchanged: true; saved: DeltaHeader & { written: WrittenFiles }; links: DeltaLinks };

/**
 * With a saved state: Graph's delta rounds since its links, merged into the saved directory (a group
 * new or newly mail-enabled has its members read in full). Without one, or when Graph or the file
 * lost it: everything, the next run's links taken first so that nothing changed meanwhile is missed.
 * Transitive membership cannot be followed through groups/delta (it reports direct members only),
 * so `transitive` always reads everything and keeps no state.
 */
export async function readLatest(client: Client, options: LatestOptions): Promise<Latest> {
  const incremental = !options.transitive;
  const saved = incremental && !options.full && options.trustState ? loadDeltaHeader(options.outDir) : undefined;
  const rounds = saved && (await readDeltaRounds(client, saved, options.retry));
  if (saved?.written && rounds && rounds.users.length === 0 && rounds.groups.length === 0 && filesAsWritten(options.outDir, saved.written)) {
    return { unchanged: true, saved: { ...saved, written: saved.written }, links: rounds.links };
  }
  const state = rounds && loadDeltaState(options.outDir);
  if (state && rounds) {
    await applyDelta(client, state.directory, rounds, options);
    return { unchanged: false, mode: "delta", directory: state.directory, links: rounds.links };
  }
  const links = incremental ? await latestDeltaLinks(client, options.retry) : undefined;
  return { unchanged: false, mode: "full", directory: await readDirectory(client, options), links };
}
