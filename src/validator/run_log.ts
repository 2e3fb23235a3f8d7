/**
 * Telemetry records, one JSON object per line: the same typed records a W&B run receives
 * (telemetry.ts). Appended per record, so a crash loses at most the record being written.
 */
import { dirname } from "node:path";
import type { Telemetry, TelemetryRecord } from "./telemetry.ts";

/** A JSONL run log file. */
export class JsonlRunLog implements Telemetry {
  constructor(readonly path: string) {}

  async log(record: TelemetryRecord): Promise<void> {
    await Deno.mkdir(dirname(this.path), { recursive: true });
    await Deno.writeTextFile(this.path, JSON.stringify({ time: new Date().toISOString(), ...record }) + "\n", {
      append: true,
      create: true,
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Sends every record to several sinks (e.g. W&B and the local run log). */
export class FanOutTelemetry implements Telemetry {
  constructor(readonly sinks: Telemetry[]) {}
  async log(record: TelemetryRecord): Promise<void> {
    for (const s of this.sinks) await s.log(record);
  }
  async close(): Promise<void> {
    for (const s of this.sinks) await s.close();
  }
}
