/**
 * `deno task scoring --input file.json`: what-if scoring for one competition. Input:
 * `{"block": N, "epsilon": {"start","end","decayBlocks"} | "competition": id, "schedule"?: "local"|"finney"|path,
 *   "models": [{"uid", "block", "loss"}, …]}` (loss null = failed). Prints each model's epsilon,
 * wins, win rate and weight, and the loss a newcomer committing now would need to beat every
 * current model; `--json` prints the outcomes as one JSON object instead.
 */
import { parseArgs } from "node:util";
import {
  BUNDLED_SCHEDULES,
  competitionAt,
  type EpsilonDecay,
  loadSchedule,
  lossToBeat,
  scoreCompetition,
  type ScoredModel,
} from "../src/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { input: { type: "string" }, json: { type: "boolean", default: false } },
});
try {
  if (!values.input) throw new TypeError("usage: deno task scoring --input file.json [--json]");
  const input = JSON.parse(
    values.input === "-" ? await new Response(Deno.stdin.readable).text() : await Deno.readTextFile(values.input),
  );
  const block = input.block;
  if (!Number.isSafeInteger(block) || block < 0) throw new RangeError(`"block" must be a non-negative integer`);
  let decay: EpsilonDecay = input.epsilon;
  if (decay === undefined) {
    const name = input.schedule ?? "finney";
    const schedule = await loadSchedule(
      name in BUNDLED_SCHEDULES ? BUNDLED_SCHEDULES[name as keyof typeof BUNDLED_SCHEDULES] : name,
    );
    const competition = competitionAt(schedule, block, input.competition);
    if (!competition) throw new RangeError(`competition ${input.competition} is not in force at block ${block}`);
    decay = competition.epsilon;
  }
  if (!Array.isArray(input.models)) throw new TypeError(`"models" must be an array of {uid, block, loss}`);
  const models: ScoredModel[] = input.models.map((m: { uid: number; block: number; loss: number | null }) => ({
    uid: m.uid,
    block: m.block,
    loss: m.loss === null ? Infinity : m.loss,
  }));
  const outcomes = scoreCompetition(models, decay, block);
  const target = lossToBeat(models, decay, block);
  if (values.json) {
    console.log(JSON.stringify({ block, epsilon: decay, outcomes, lossToBeat: target }));
  } else {
    console.log("  uid   block       loss   epsilon  wins  win rate    weight  note");
    for (const o of [...outcomes].sort((a, b) => b.weight - a.weight || a.uid - b.uid)) {
      console.log(
        `${String(o.uid).padStart(5)} ${String(o.block).padStart(7)} ${o.loss.toFixed(6).padStart(10)} ${
          o.epsilon.toFixed(6).padStart(9)
        } ` +
          `${String(o.wins).padStart(5)} ${o.winRate.toFixed(4).padStart(9)} ${o.weight.toFixed(6).padStart(9)}  ${
            o.excluded ?? ""
          }`,
      );
    }
    console.log(
      `\nA model committed at block ${block} beats every current model with a loss below ${target.toFixed(6)}.`,
    );
  }
} catch (e) {
  console.error(`scoring: ${(e as Error).message}`);
  Deno.exit(1);
}
