/**
 * `deno task competitions [--schedule finney|local|<file.json>] [--block N] [--json]`: the
 * competitions in force at a block (default: block 0 of the bundled local schedule).
 */
import { parseArgs } from "node:util";
import { BUNDLED_SCHEDULES, loadSchedule, scheduleAt } from "../src/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    schedule: { type: "string", default: "local" },
    block: { type: "string", default: "0" },
    json: { type: "boolean", default: false },
  },
});
try {
  const block = Number(values.block);
  if (!Number.isSafeInteger(block) || block < 0) {
    throw new RangeError(`--block must be a non-negative integer, got ${values.block}`);
  }
  const source = values.schedule in BUNDLED_SCHEDULES
    ? BUNDLED_SCHEDULES[values.schedule as keyof typeof BUNDLED_SCHEDULES]
    : values.schedule;
  const entry = scheduleAt(await loadSchedule(source), block);
  if (values.json) {
    console.log(JSON.stringify(entry));
  } else {
    console.log(`Competitions at block ${block} (schedule ${values.schedule}, entry from block ${entry.startBlock}):`);
    for (const c of entry.competitions) {
      console.log(`\n  #${c.id} ${c.name}: ${(c.rewardShare * 100).toFixed(1)}% of rewards`);
      console.log(
        `    parameters ${c.minParameters.toLocaleString("en")}–${c.maxParameters.toLocaleString("en")}, at most ${
          c.maxBytes.toLocaleString("en")
        } bytes`,
      );
      console.log(
        `    architectures ${
          c.architectures.join(", ")
        }; tokenizer ${c.tokenizer}; sequence length ${c.sequenceLength}`,
      );
      console.log(
        `    tasks: ${c.tasks.map((t) => `${t.id} (${t.dataset}, ${t.pages} pages, weight ${t.weight})`).join("; ")}`,
      );
      console.log(
        `    epsilon ${c.epsilon.start} → ${c.epsilon.end} over ${c.epsilon.decayBlocks} blocks; evaluated ${c.evalBlockDelay} blocks after commit`,
      );
    }
  }
} catch (e) {
  console.error(`competitions: ${(e as Error).message}`);
  Deno.exit(1);
}
