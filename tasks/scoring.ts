/**
 * `deno task scoring --input file.json`: what-if scoring for one competition. Input:
 * `{"block": N, "epsilon": {"start","end","decayBlocks"} | "competition": id, "schedule"?: "local"|"finney"|path,
 *   "models": [{"uid", "block", "loss"}, …]}` (loss null = failed). Prints each model's epsilon,
 * wins, win rate and weight, and the loss a newcomer committing now would need to beat every
 * current model.
 */
import {
  checkEpsilonDecay,
  competitionAt,
  type EpsilonDecay,
  loadSchedule,
  lossToBeat,
  scheduleSource,
  scoreCompetition,
  type ScoredModel,
} from "../src/mod.ts";
import { defineCommand, flags, main, readInputJson, UsageError } from "./cli/mod.ts";

export const command = defineCommand({
  name: "scoring",
  summary: "What-if scoring of one competition: each model's epsilon, wins, win rate and weight.",
  flags: {
    input: flags.string("the input JSON file, or - for stdin", { placeholder: "<file|->" }),
    json: flags.boolean("print the outcomes as one JSON object"),
  },
  notes: [
    'Input: {"block": N, "epsilon": {"start": 0.005, "end": 0.0001, "decayBlocks": 50400} or "competition": id',
    '        (with "schedule": "local" | "finney" | file), "models": [{"uid": 1, "block": 10, "loss": 3.2}, …]}',
    "A loss of null is a model that failed. The output ends with the loss a newcomer must beat.",
  ],
  examples: [
    "deno task scoring --input examples/whatif.json",
    "deno task scoring --input - --json < examples/whatif.json",
  ],
  async run({ flags: f }) {
    if (!f.input) throw new UsageError("--input is required (a file, or - for stdin)");
    const input = await readInputJson(f.input, { flag: "--input", maxBytes: 16 * 2 ** 20 }) as Record<string, unknown>;
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new TypeError("the input must be a JSON object");
    }
    const block = input.block as number;
    if (!Number.isSafeInteger(block) || block < 0) throw new RangeError(`"block" must be a non-negative integer`);
    let decay: EpsilonDecay;
    if (input.epsilon !== undefined) decay = checkEpsilonDecay(input.epsilon, `"epsilon"`);
    else {
      if (!Number.isSafeInteger(input.competition)) {
        throw new TypeError(`give "epsilon" {start, end, decayBlocks} or "competition" (an id)`);
      }
      const name = typeof input.schedule === "string" ? input.schedule : "finney";
      const competition = competitionAt(await loadSchedule(scheduleSource(name)), block, input.competition as number);
      if (!competition) throw new RangeError(`competition ${input.competition} is not in force at block ${block}`);
      decay = competition.epsilon;
    }
    if (!Array.isArray(input.models)) throw new TypeError(`"models" must be an array of {uid, block, loss}`);
    const models: ScoredModel[] = input.models.map((m, i) => {
      if (typeof m !== "object" || m === null) {
        throw new TypeError(`"models"[${i}] must be an object {uid, block, loss}`);
      }
      return { uid: m.uid, block: m.block, loss: m.loss === null ? Infinity : m.loss };
    });
    const outcomes = scoreCompetition(models, { decay, block });
    const target = lossToBeat(models, decay, block);
    if (f.json) return void console.log(JSON.stringify({ block, epsilon: decay, outcomes, lossToBeat: target }));
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
      Number.isFinite(target)
        ? `\nA model committed at block ${block} beats every current model with a loss below ${target.toFixed(6)}.`
        : `\nNo model has a loss yet: any working model committed at block ${block} wins.`,
    );
  },
});

if (import.meta.main) await main(command);
