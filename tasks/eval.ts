/**
 * `deno task eval --model <dir> --tokens <file.json> [--device cpu] [--batch N] [--json]`:
 * per-sequence losses of a local Hugging Face model on given token sequences. The tokens file is
 * a JSON array of equal-length integer arrays. Exit 0 on success, 1 on a rejected model or bad
 * input (one line on stderr), 2 on bad flags.
 */
import { parseArgs } from "node:util";
import { checkModel, createLossSession, type Device, DEVICES, evaluateLosses } from "../eval/mod.ts";

function fail(code: number, message: string): never {
  console.error(`eval: ${message}`);
  Deno.exit(code);
}

let flags;
try {
  flags = parseArgs({
    args: Deno.args,
    options: {
      model: { type: "string" },
      tokens: { type: "string" },
      device: { type: "string", default: "cpu" },
      batch: { type: "string", default: "1" },
      threads: { type: "string" },
      json: { type: "boolean", default: false },
    },
  }).values;
} catch (e) {
  fail(2, (e as Error).message);
}
if (!flags.model || !flags.tokens) {
  fail(2, "usage: deno task eval --model <dir> --tokens <file.json> [--device cpu|cuda|webgpu] [--batch N] [--json]");
}
if (!DEVICES.includes(flags.device as Device)) fail(2, `--device must be one of ${DEVICES.join(", ")}`);
const batchSize = Number(flags.batch);
if (!Number.isInteger(batchSize) || batchSize < 1) fail(2, `--batch must be a positive integer, got ${flags.batch}`);

try {
  const sequences = await readTokens(flags.tokens);
  const model = await checkModel(flags.model);
  const session = await createLossSession(model, {
    device: flags.device as Device,
    maxSequenceLength: sequences[0].length,
    threads: flags.threads ? Number(flags.threads) : undefined,
    log: (m) => console.error(m),
  });
  const start = performance.now();
  const losses = await evaluateLosses(session, sequences, { batchSize });
  const seconds = (performance.now() - start) / 1000;
  await session.release();
  const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
  if (flags.json) {
    console.log(
      JSON.stringify({
        model: model.label,
        architecture: model.spec.architecture,
        parameters: model.parameterCount,
        device: session.device,
        losses,
        mean,
        loadMs: session.loadMs,
        seconds,
      }),
    );
  } else {
    console.log(`${model.label}: ${model.spec.architecture}, ${model.parameterCount} parameters, ${session.device}`);
    losses.forEach((l, i) => console.log(`  sequence ${i}: ${l.toFixed(6)}`));
    console.log(
      `mean loss ${mean.toFixed(6)} over ${losses.length} sequences in ${seconds.toFixed(2)} s (load ${
        (session.loadMs / 1000).toFixed(2)
      } s)`,
    );
  }
} catch (e) {
  fail(1, (e as Error).message.split("\n")[0]);
}

async function readTokens(path: string): Promise<number[][]> {
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new SyntaxError(`cannot read tokens file "${path}": ${(e as Error).message}`);
  }
  if (!Array.isArray(json) || json.length === 0) {
    throw new SyntaxError(`tokens file "${path}" must be a non-empty JSON array of arrays`);
  }
  const T = Array.isArray(json[0]) ? json[0].length : -1;
  json.forEach((seq, i) => {
    if (!Array.isArray(seq) || seq.length !== T || !seq.every((t) => Number.isInteger(t) && t >= 0)) {
      throw new SyntaxError(`tokens file "${path}": sequence ${i} is not an array of ${T} non-negative integers`);
    }
  });
  return json as number[][];
}
