/**
 * `deno task serve [--state .cache/validator.sqlite] [--port 8000] [--schedule local|finney|file]`:
 * the leaderboard (JSON API and page) over a validator's state, read-only.
 */
import { parseArgs } from "node:util";
import { BUNDLED_SCHEDULES, leaderboardApp, loadSchedule, ValidatorState } from "../src/mod.ts";

const { values: f } = parseArgs({
  args: Deno.args,
  options: {
    state: { type: "string", default: ".cache/validator.sqlite" },
    port: { type: "string", default: "8000" },
    hostname: { type: "string", default: "127.0.0.1" },
    schedule: { type: "string", default: "local" },
  },
});
try {
  await Deno.stat(f.state!);
} catch {
  console.error(`serve: no validator state at ${f.state} (run deno task validate or deno task demo first)`);
  Deno.exit(1);
}
const schedule = await loadSchedule(
  f.schedule! in BUNDLED_SCHEDULES ? BUNDLED_SCHEDULES[f.schedule as "local" | "finney"] : f.schedule!,
);
const state = new ValidatorState(f.state!, { readOnly: true });
Deno.serve({
  hostname: f.hostname,
  port: Number(f.port),
  onListen: ({ hostname, port }) => console.log(`leaderboard: http://${hostname}:${port}/ (state ${f.state})`),
}, leaderboardApp(state, schedule).fetch);
