/**
 * Telemetry records, one JSON object per line: the same records a W&B run would receive (per-uid
 * loss, epsilon, win rate, wins, weight, competition weight, per-task losses, timings, the eval
 * manifest). Appended and flushed per record, so a crash loses at most the record being written.
 */

/** A sink for telemetry records. */
export interface Telemetry {
  log(record: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** A JSONL run log file. */
export class JsonlRunLog implements Telemetry {
  constructor(readonly path: string) {}

  async log(record: Record<string, unknown>): Promise<void> {
    await Deno.writeTextFile(this.path, JSON.stringify({ time: new Date().toISOString(), ...record }) + "\n", {
      append: true,
      create: true,
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Timing summary: min, median, max and 90th percentile. */
export function timingStats(values: number[]): { min: number; median: number; max: number; p90: number } | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
  return { min: s[0], median: at(0.5), max: s[s.length - 1], p90: at(0.9) };
}

/** Sends every record to several sinks (e.g. W&B and the local run log). */
export class FanOutTelemetry implements Telemetry {
  constructor(readonly sinks: Telemetry[]) {}
  async log(record: Record<string, unknown>): Promise<void> {
    for (const s of this.sinks) await s.log(record);
  }
  async close(): Promise<void> {
    for (const s of this.sinks) await s.close();
  }
}
