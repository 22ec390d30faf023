import { DEFAULT_RETRY, type RetryClock } from "../../core/retry";
import { PACER_DEFAULTS } from "../../m365/graph-pacer";

/** A retry clock that never sleeps: each wait is recorded and moves its time on at once. */
export function recordingClock(): RetryClock & { waits: number[] } {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  };
}

/**
 * Runs `work` with core/retry.ts DEFAULT_RETRY and the Graph pacer on one recording clock, for code
 * that takes neither from the test (a dynamic provider, GitHub's ID token, the CLI in-process): its
 * waits (Retry-After, backoff) are recorded, not slept. Returns what `work` returned and those waits.
 */
export async function withRecordedWaits<T>(work: () => Promise<T>): Promise<{ value: T; waits: number[] }> {
  const clock = recordingClock();
  const previous = { retry: DEFAULT_RETRY.clock, pacer: PACER_DEFAULTS.clock };
  DEFAULT_RETRY.clock = clock;
  PACER_DEFAULTS.clock = clock;
  try {
    return { value: await work(), waits: clock.waits };
  } finally {
    if (previous.retry) DEFAULT_RETRY.clock = previous.retry;
    else delete DEFAULT_RETRY.clock;
    if (previous.pacer) PACER_DEFAULTS.clock = previous.pacer;
    else delete PACER_DEFAULTS.clock;
  }
}

/**
 * From now on in this process, code on DEFAULT_RETRY or the pacer tries again without waiting. For
 * a file's `after`, before its emulators close: work an in-process CLI run left going (the rest of
 * a discovery whose first failure ended the run) then fails at once once they are gone, as it
 * ended with the CLI's process, instead of trying again for half a minute.
 */
export function retryWithoutWaiting(): void {
  DEFAULT_RETRY.clock = recordingClock();
  PACER_DEFAULTS.clock = DEFAULT_RETRY.clock;
}
