import type { RetryClock } from "../../core/retry";

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
