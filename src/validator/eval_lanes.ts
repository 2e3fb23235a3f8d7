/**
 * The embedded evaluation workers: one lane per device the validator is given (`--device cuda:0
 * --device cuda:1`), or the CPU's cores split between `--workers N` lanes. Each lane takes the
 * next model of the step as soon as it is free, so one model's download, checks and load overlap
 * another's compute. Results are recorded as each finishes, keyed by (step, hotkey), so the order
 * lanes finish in changes nothing that is stored.
 */
import type { DeviceSpec } from "../../eval/mod.ts";

/** One evaluation worker: its device and, on a shared CPU, its share of the threads. */
export interface EvalLane extends DeviceSpec {
  threads?: number;
}

/** `n` CPU lanes sharing `cores` cores: each gets its share, at least one thread. */
export function cpuLanes(n: number, cores: number = navigator.hardwareConcurrency): EvalLane[] {
  return Array.from({ length: n }, (_, i) => ({
    device: "cpu" as const,
    threads: Math.max(1, Math.floor(cores / n) + (i < cores % n ? 1 : 0)),
  }));
}

/**
 * Runs `work` on every item, at most one at a time per lane, each item on the first free lane.
 * The first failure stops the lanes taking new items; it is thrown once the running ones end.
 */
export async function runInLanes<T>(
  items: readonly T[],
  lanes: readonly EvalLane[],
  work: (item: T, lane: EvalLane) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (l: EvalLane) => {
    while (failure === undefined && next < items.length) {
      const item = items[next++];
      try {
        await work(item, l);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(lanes.map(lane));
  if (failure) throw failure.error;
}
