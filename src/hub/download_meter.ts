/**
 * Progress lines for downloads: the file being moved, its bytes, the rate and the time left,
 * at most one line per interval plus one when each file completes. A terminal shows them as one
 * line rewritten in place (short interval); a log gets a line every few seconds.
 */
import type { DownloadProgress, OnDownloadProgress } from "./model_store.ts";

/** Options for `downloadMeter`. */
export interface MeterOptions {
  /** Receives each line. */
  emit: (line: string) => void;
  /** Least time between two lines for the same file, in ms (default 10 s). */
  intervalMs?: number;
  /** Put before each line (e.g. "uid 3: "). */
  prefix?: string;
  now?: () => number;
}

/** A progress callback that writes throttled lines with rate and ETA. */
export function downloadMeter(o: MeterOptions): OnDownloadProgress {
  const now = o.now ?? (() => performance.now());
  const interval = o.intervalMs ?? 10_000;
  const start = now();
  let startBytes: number | undefined, lastLine = -Infinity;
  const done = new Set<string>();
  return (p: DownloadProgress) => {
    const t = now();
    startBytes ??= p.bytes - (p.fileBytes === p.fileSize ? p.fileSize : 0);
    const complete = p.fileBytes === p.fileSize;
    if (complete && done.has(p.path)) return;
    if (!complete && t - lastLine < interval) return;
    if (complete) done.add(p.path);
    lastLine = t;
    const seconds = (t - start) / 1000;
    const rate = seconds > 0 ? (p.bytes - startBytes) / seconds : 0;
    const eta = rate > 0 ? (p.totalBytes - p.bytes) / rate : Infinity;
    o.emit(
      `${o.prefix ?? ""}${p.path} ${size(p.fileBytes)} of ${size(p.fileSize)}` +
        (complete ? " done" : ` (${percent(p.fileBytes, p.fileSize)})`) +
        `; all files ${size(p.bytes)} of ${size(p.totalBytes)}, ${size(rate)}/s` +
        (p.bytes < p.totalBytes ? `, ETA ${duration(eta)}` : ""),
    );
  };
}

/** Bytes as B, kB, MB or GB (decimal, as the Hub shows sizes). */
export function size(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = bytes, u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) (v /= 1000), u++;
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

function percent(a: number, b: number): string {
  return `${b > 0 ? ((100 * a) / b).toFixed(0) : 100}%`;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return "unknown";
  if (s < 90) return `${Math.ceil(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
