/** `deno task competitions`: the competitions in force at a block of a schedule. */
import { loadSchedule, scheduleAt, scheduleSource } from "../src/mod.ts";
import { defineCommand, flags, main } from "./cli/mod.ts";

export const command = defineCommand({
  name: "competitions",
  summary: "Lists the competitions in force at a block: limits, architectures, tokenizer, tasks, epsilon.",
  flags: {
    schedule: flags.string("local, finney or a schedule file", { default: "local", placeholder: "<name|file>" }),
    block: flags.int("the block", { default: 0 }),
    json: flags.boolean("print the schedule entry as one JSON object"),
  },
  examples: ["deno task competitions", "deno task competitions --schedule finney --block 4000000 --json"],
  async run({ flags: f }) {
    const entry = scheduleAt(await loadSchedule(scheduleSource(f.schedule)), f.block);
    if (f.json) return void console.log(JSON.stringify(entry));
    console.log(`Competitions at block ${f.block} (schedule ${f.schedule}, entry from block ${entry.startBlock}):`);
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
  },
});

if (import.meta.main) await main(command);
