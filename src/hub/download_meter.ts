/**
 * Progress lines for downloads: the file being moved, its bytes, the rate and the time left, at
 * most one line per interval, and one line when the file set is complete. Files reused from the
 * cache move nothing and print nothing on the way, so a cached model is one line, "cached", with
 * no rate. The rate and the time left appear after 3 s of bytes moving, measured over the last
 * 5 s: a rate over a few bytes says nothing ("268 B in 0.2 s, ETA 70 min" for a 4.9 MB local
 * copy), and one from the start carries the request's setup (a 200 MB download at 9 MB/s once
 * read "2.1 MB/s, ETA 2 min" with 21 s left). A terminal shows the lines as one line
 * rewritten in place (short interval); a log gets one every few seconds.
 */
import type { DownloadProgress, OnDownloadProgress } from "./model_store.ts";

/** Options for `downloadMeter`. */
export interface MeterOptions {
  /** Receives each line. */
  emit: (line: string) => void;
  /** Least time between two lines, in ms (default 10 s). */
  intervalMs?: number;
  /** Put before each line (e.g. "uid 3: "). */
  prefix?: string;
  now?: () => number;
}

/** Seconds of moving before a finished download's line carries its average rate. */
const SUMMARY_RATE_AFTER_S = 1;
/** Seconds of moving before a rate and an ETA are shown on the way. */
const RATE_AFTER_S = 3;
/** The rate on the way is measured over the last seconds moved, so a slow start or a change of pace fades. */
const WINDOW_MS = 5_000;

/** A progress callback that writes throttled lines with rate and ETA. */
export function downloadMeter(o: MeterOptions): OnDownloadProgress {
  const now = o.now ?? (() => performance.now());
  const interval = o.intervalMs ?? 10_000;
  const prefix = o.prefix ?? "";
  const start = now();
  let reusedBytes = 0, lastLine = start, finished = false, startedMoving: number | undefined;
  const samples: { t: number; moved: number }[] = [];
  return (p: DownloadProgress) => {
    if (finished) return;
    if (p.reused) reusedBytes += p.fileSize;
    const t = now(), seconds = (t - start) / 1000;
    const moved = p.bytes - reusedBytes;
    if (p.bytes >= p.totalBytes) {
      finished = true;
      const rate = seconds >= SUMMARY_RATE_AFTER_S ? moved / seconds : undefined;
      if (moved === 0) o.emit(`${prefix}cached (${size(reusedBytes)})`);
      else {
        o.emit(
          `${prefix}downloaded ${size(moved)}${
            reusedBytes > 0 ? ` (${size(reusedBytes)} reused from the cache)` : ""
          } in ${seconds.toFixed(1)} s${rate === undefined ? "" : `, ${size(rate)}/s`}`,
        );
      }
      return;
    }
    if (moved > 0) startedMoving ??= t;
    if (startedMoving !== undefined && (samples.length === 0 || t - samples[samples.length - 1].t >= 100)) {
      samples.push({ t, moved });
    }
    while (samples.length > 1 && samples[1].t <= t - WINDOW_MS) samples.shift();
    const ref = samples[0];
    const rate = startedMoving !== undefined && t - startedMoving >= RATE_AFTER_S * 1000 && t > ref.t
      ? (moved - ref.moved) / ((t - ref.t) / 1000)
      : undefined;
    if (p.reused || t - lastLine < interval) return;
    lastLine = t;
    const eta = rate !== undefined && rate > 0 ? `, ETA ${duration((p.totalBytes - p.bytes) / rate)}` : "";
    o.emit(
      `${prefix}${p.path} ${size(p.fileBytes)} of ${size(p.fileSize)} (${percent(p.fileBytes, p.fileSize)}); ` +
        `all files ${size(p.bytes)} of ${size(p.totalBytes)}${rate === undefined ? "" : `, ${size(rate)}/s`}${eta}`,
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
