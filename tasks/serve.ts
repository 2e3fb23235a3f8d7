/** `deno task serve`: the leaderboard (JSON API and page) over a validator's state, read-only. */
import { leaderboardApp, loadSchedule, scheduleSource, ValidatorState } from "../src/mod.ts";
import { defineCommand, flags, main, serveUntilSignal } from "./cli/mod.ts";

export const command = defineCommand({
  name: "serve",
  summary: "Serves the leaderboard (a page with charts and a JSON API) over a validator's state.",
  flags: {
    state: flags.path("the validator's state", { default: ".cache/validator.sqlite" }),
    port: flags.port("port", { default: 8000 }),
    hostname: flags.string("address to listen on", { default: "127.0.0.1" }),
    schedule: flags.string("local, finney or a schedule file", { default: "local", placeholder: "<name|file>" }),
  },
  examples: [
    { line: "deno task serve", serves: true },
    { line: "deno task serve --state .cache/demo-run/validator.sqlite --port 8080", serves: true },
  ],
  async run({ flags: f }) {
    try {
      await Deno.stat(f.state);
    } catch {
      throw new Error(
        `no validator state at ${f.state}: run deno task validate, or deno task demo and pass its --state`,
      );
    }
    const schedule = await loadSchedule(scheduleSource(f.schedule));
    const state = new ValidatorState(f.state, { readOnly: true });
    await serveUntilSignal({
      hostname: f.hostname,
      port: f.port,
      onListen: ({ hostname, port }) => console.log(`leaderboard: http://${hostname}:${port}/ (state ${f.state})`),
    }, leaderboardApp(state, schedule).fetch);
    state.close();
  },
});

if (import.meta.main) await main(command);
