/**
 * `deno task demo`: the competition as far as it is built, on this machine with nothing outside
 * it. Generates the fixture models, checks each one, evaluates it on held-out English text with
 * the in-graph loss, runs the degenerate-output check, and prints the ranking.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { checkModel, createLossSession, evaluateLosses, ModelRejected, sanityCheck } from "../eval/mod.ts";
import { BYTE_EOS, evalSequences, writeFixtures } from "../fixtures/mod.ts";

const { values } = parseArgs({ args: Deno.args, options: { dir: { type: "string", default: ".cache/demo" } } });
const T = 128, SEQUENCES = 16;
const started = performance.now();
console.log(`Generating fixture models into ${values.dir} …`);
await writeFixtures(values.dir);
const sequences = await evalSequences(T, SEQUENCES);
console.log(`Evaluating on ${SEQUENCES} sequences × ${T} tokens of held-out text (Apache-2.0 licence text)\n`);

const candidates = ["quality-random", "quality-unigram", "quality-bigram", "llama-bf16-untied", "mistral-f32-untied"];
const rows: { model: string; loss: number; status: string }[] = [];
for (const name of candidates) {
  try {
    const model = await checkModel(join(values.dir, name));
    const session = await createLossSession(model, { maxSequenceLength: T });
    const losses = await evaluateLosses(session, sequences, { batchSize: 4 });
    const sanity = await sanityCheck(session, sequences[0], sequences[1], BYTE_EOS);
    await session.release();
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    // SN9 scores a model that fails the degenerate-output check as failed (infinite loss).
    rows.push({
      model: `${name} (${model.spec.architecture}, ${model.parameterCount} params)`,
      loss: sanity.ok ? mean : Infinity,
      status: sanity.ok ? "ok" : `failed, degenerate output (loss would be ${mean.toFixed(4)}): ${sanity.reason}`,
    });
  } catch (e) {
    if (!(e instanceof ModelRejected)) throw e;
    rows.push({ model: name, loss: Infinity, status: `rejected (${e.code}): ${e.message}` });
  }
}
rows.sort((a, b) => a.loss - b.loss);
console.log("rank  loss     model / status");
rows.forEach((r, i) =>
  console.log(`${String(i + 1).padStart(4)}  ${r.loss.toFixed(4).padEnd(7)}  ${r.model}\n                ${r.status}`)
);
console.log(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
