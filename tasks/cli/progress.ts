/**
 * Progress of long work for people: on a terminal, one line on stderr rewritten in place; in a
 * log or a pipe, a line at most every `intervalMs`. Nothing goes to stdout, so `--json` output
 * stays one clean object.
 */

/** A progress writer: `update(line)` as often as wanted, `done()` at the end. */
export interface Progress {
  update(line: string): void;
  done(): void;
}

/** Progress on stderr (nothing at all when `quiet`). */
export function progress(o: { quiet?: boolean; intervalMs?: number } = {}): Progress {
  if (o.quiet) return { update() {}, done() {} };
  const tty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  let last = 0, shown = false;
  return {
    update(line) {
      const now = performance.now();
      if (tty) {
        if (now - last < 100) return;
        Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line.slice(0, (Deno.consoleSize?.().columns ?? 100) - 1)}`));
        shown = true;
      } else {
        if (now - last < (o.intervalMs ?? 10_000)) return;
        console.error(line);
      }
      last = now;
    },
    done() {
      if (tty && shown) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
    },
  };
}

/** Where a long count stands: `done` of `total` items of `what`, after `seconds`, each worth `unitsPerItem` `unit`s. */
export interface Rate {
  what: string;
  done: number;
  total: number;
  unitsPerItem: number;
  unit: string;
  seconds: number;
}

/** "sequence 1234/5000, 812 tokens/s, ETA 3 min". */
export function rateLine({ what, done, total, unitsPerItem, unit, seconds }: Rate): string {
  const rate = seconds > 0 ? (done * unitsPerItem) / seconds : 0;
  const eta = rate > 0 ? ((total - done) * unitsPerItem) / rate : Infinity;
  const etaText = !Number.isFinite(eta)
    ? ""
    : eta < 90
    ? `, ETA ${Math.ceil(eta)} s`
    : `, ETA ${Math.round(eta / 60)} min`;
  return `${what} ${done}/${total}, ${rate.toFixed(0)} ${unit}/s${etaText}`;
}
