/**
 * `deno task demo`: the whole competition on this machine (tasks/demo/scenario.ts), printed as a
 * leaderboard, then served, with the commands that reach its files afterwards.
 */
import { join } from "node:path";
import { BUNDLED_SCHEDULES, leaderboardApp, loadSchedule, ValidatorState } from "../src/mod.ts";
import { defineCommand, flags, main, serveUntilSignal, taskCommand, UsageError } from "./cli/mod.ts";
import { type DemoSummary, runDemo } from "./demo/scenario.ts";

export const command = defineCommand({
  name: "demo",
  summary: "Runs the whole competition on this machine, then prints the leaderboard and serves it.",
  notes: [
    "An embedded chain, bundled pages, a local model store, a validator and twenty-three miners in four",
    "competitions: full models twice; LoRA adapters, merged at the end into the next base; and five",
    "windows of pseudo-gradients that train one model together.",
  ],
  flags: {
    dir: flags.path("where the demo writes its chain, store, state and run log", { default: ".cache/demo-run" }),
    exit: flags.boolean("stop after the summary instead of serving the leaderboard"),
    json: flags.boolean("print the summary as one JSON object (implies --exit)"),
    genesis: flags.string("last hex digits of the chain's genesis hash (fixes the pages)", {
      default: "7",
      placeholder: "<hex>",
    }),
    port: flags.port("leaderboard port", { default: 8000 }),
  },
  examples: [
    { line: "deno task demo", serves: true },
    { line: "deno task demo --exit --json", checkOnly: "a second whole demo (30–100 s) after the one above" },
    {
      line: "deno task demo --dir /tmp/demo --port 8080",
      checkOnly: "a third whole demo, outside the test's directory",
    },
  ],
  check({ flags: f }) {
    if (!/^[0-9a-f]{1,64}$/.test(f.genesis)) {
      throw new UsageError(
        `--genesis must be 1–64 lowercase hex digits (got ${JSON.stringify(f.genesis).slice(0, 80)})`,
      );
    }
  },
  async run({ flags: f }) {
    if (!f.json) console.log(`Demo in ${f.dir}: generating models …`);
    const summary = await runDemo({
      dir: f.dir,
      genesis: f.genesis,
      log: f.json ? undefined : (l) => console.log(`    ${l}`),
    });
    if (f.json) {
      console.log(JSON.stringify(summary, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
      return summary.paid ? 0 : 1;
    }
    print(summary, f.port);
    if (!summary.paid) throw new Error("no Yuma epoch paid the miners after weights were set");
    if (f.exit) return;
    const schedule = await loadSchedule(BUNDLED_SCHEDULES.local);
    const state = new ValidatorState(summary.paths.state, { readOnly: true });
    await serveUntilSignal({
      hostname: "127.0.0.1",
      port: f.port,
      onListen: ({ hostname, port }) =>
        console.log(`\nLeaderboard: open http://${hostname}:${port}/ (Ctrl-C to stop; --exit skips this)`),
    }, leaderboardApp(state, schedule).fetch);
    state.close();
  },
});

if (import.meta.main) await main(command);

function print(s: DemoSummary, port: number): void {
  const say = (line: string) => console.log(line);
  say("\nPublished:");
  for (const p of s.published) {
    say(`  ${p.miner.padEnd(8)} uid ${String(p.uid).padStart(2)}  ${p.repo}@${p.commit.slice(0, 8)}  (${p.note})`);
  }
  say("\nLeaderboard (latest step per competition):");
  for (const c of s.competitions) {
    say(`\n  competition ${c.id} (${c.name}), step ${c.stepId} at block ${c.block}`);
    if (c.baseLoss !== null) {
      say(`  adapters on the pinned base, whose loss on these pages is ${c.baseLoss.toFixed(4)}`);
    }
    say(`   uid  miner     loss     ${c.baseLoss !== null ? " vs base " : ""} win rate  step weight  status, and why`);
    for (const r of c.rows) {
      const loss = r.loss === null ? "   —    " : r.loss.toFixed(4).padStart(8);
      const gain = c.baseLoss === null
        ? ""
        : r.improvement === null
        ? "     —   "
        : `${r.improvement >= 0 ? "+" : "−"}${Math.abs(r.improvement).toFixed(4)}`.padStart(9);
      const why = r.reason ?? r.explanation ?? "";
      say(
        `  ${String(r.uid).padStart(4)}  ${r.miner.padEnd(8)} ${loss} ${gain} ${
          (r.winRate ?? 0).toFixed(3).padStart(8)
        }  ${(r.weight ?? 0).toFixed(4).padStart(11)}  ${r.status}${why ? `: ${why.slice(0, 110)}` : ""}`,
      );
    }
  }
  say("\n  Rejected (not evaluated again until their commitment changes):");
  for (const r of s.rejected) say(`  ${String(r.uid).padStart(4)}  ${r.miner.padEnd(8)} ${r.reason.slice(0, 110)}`);
  if (s.averaged) {
    const a = s.averaged;
    say(`\nAveraged (deno task average): step ${a.stepId} of competition ${a.competitionId}, ${a.adapters.join(", ")}`);
    say(
      `  loss ${a.mergedLoss.toFixed(4)} on the step's pages against the base's ${
        a.baseLoss.toFixed(4)
      }; pushed as ${a.repo}@${a.commit.slice(0, 8)} (hash ${a.hash})`,
    );
  }
  if (s.windows.length) {
    say("\nPseudo-gradient windows (competition 4: one model trained together):");
    for (const w of s.windows) {
      say(
        `\n  window ${w.window}: held-out loss of the global model ${w.heldOutBefore?.toFixed(4) ?? "—"} → ${
          w.heldOutAfter?.toFixed(4) ?? "—"
        }${w.nextHash ? `, next checkpoint ${w.nextHash.slice(0, 12)}…` : ""}${
          w.published ? ` published as ${w.published.slice(0, w.published.indexOf("@") + 9)}` : ""
        }`,
      );
      for (const p of w.peers) {
        say(`  ${String(p.uid).padStart(4)}  ${p.miner.padEnd(8)} ${(p.reason ?? p.explanation ?? "").slice(0, 150)}`);
      }
    }
  }
  say("\nOn chain (after the last epoch):");
  say("   uid  miner     incentive  emission (rao)");
  for (const n of s.onChain) {
    say(
      `  ${String(n.uid).padStart(4)}  ${n.miner.padEnd(8)} ${n.incentive.toFixed(4).padStart(9)}  ${
        String(n.emission).padStart(14)
      }`,
    );
  }
  const total = s.phases.reduce((a, p) => a + p.seconds, 0);
  say(
    `\nDone in ${total.toFixed(1)} s: ${
      s.phases.map((p) => `${p.name} ${p.seconds.toFixed(1)} s (${((100 * p.seconds) / total).toFixed(0)}%)`).join(", ")
    }`,
  );
  const p = s.paths;
  say("\nThe demo's files, and the commands that read them:");
  const task = taskCommand();
  say(`  ${task} serve --state ${p.state} --port ${port}`);
  say(`  ${task} chain metagraph --chain-db ${p.chain}`);
  say(`  ${task} chain commitments --chain-db ${p.chain}`);
  say(
    `  ${task} validate --once --chain-db ${p.chain} --store-dir ${p.store} --state ${p.state} --run-log ${p.runLog} --cache-dir ${
      join(p.dir, "cache")
    }`,
  );
}
