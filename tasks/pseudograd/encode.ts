/**
 * `pseudograd encode`: a miner's submission for one window. Δ = θ_base − θ_trained per stored
 * parameter, error feedback from `--state` (β 0.95), compression with the competition's codec,
 * and the file written beside its name then renamed, with the buffer saved after it.
 */
import { checkModel } from "../../eval/mod.ts";
import {
  type CodecSettings,
  compressWithFeedback,
  encodeSubmission,
  hashModelDir,
  layoutOf,
  readFeedbackBuffer,
  readParameter,
  storedParameters,
  writeFeedbackBuffer,
} from "../../src/mod.ts";
import { progress, UsageError } from "../cli/mod.ts";

/** Runs `encode` with the task's flags. */
export async function encodeCommand(f: {
  base?: string;
  model?: string;
  state?: string;
  window: number;
  codec: CodecSettings;
  out?: string;
  json: boolean;
}): Promise<void> {
  if (!f.base || !f.model || !f.out) throw new UsageError("encode needs --base, --model and --out");
  const codec = f.codec;
  const base = await checkModel(f.base), trained = await checkModel(f.model);
  const layout = layoutOf(base, codec);
  const theirs = storedParameters(trained);
  const delta = new Map<string, Float32Array>();
  for (const ref of storedParameters(base).values()) {
    const t = theirs.get(ref.name);
    if (!t || t.shape.join() !== ref.shape.join()) {
      throw new RangeError(
        `--model has ${t ? `"${ref.name}" as ${JSON.stringify(t.shape)}` : `no "${ref.name}"`}; the base's is ${
          JSON.stringify(ref.shape)
        } (the trained model must be the base's architecture and shape)`,
      );
    }
    const a = await readParameter(base, ref), b = await readParameter(trained, t);
    delta.set(ref.name, Float32Array.from(a, (x, i) => x - b[i]));
  }
  const buffer = f.state ? await readFeedbackBuffer(f.state, layout) : new Map();
  const bar = progress({ quiet: f.json, intervalMs: 5_000 });
  const started = performance.now();
  const step = compressWithFeedback(layout, delta, buffer, {
    onParameter: (done, total, name) =>
      bar.update(
        `compressing parameter ${done}/${total} (${name}), ${((performance.now() - started) / 1000).toFixed(0)} s`,
      ),
  });
  bar.done();
  const { hash } = await hashModelDir(f.base);
  const bytes = encodeSubmission(layout, step.parameters, { window: f.window, base: hash, codec });
  await Deno.writeFile(`${f.out}.incomplete`, bytes);
  await Deno.rename(`${f.out}.incomplete`, f.out);
  if (f.state) await writeFeedbackBuffer(f.state, layout, step.buffer);
  const summary = {
    out: f.out,
    bytes: bytes.length,
    window: f.window,
    base: hash,
    parameters: layout.parameters.length,
    kept: layout.parameters.reduce((n, p) => n + p.kept, 0),
    state: f.state ?? null,
  };
  if (f.json) return void console.log(JSON.stringify(summary));
  console.log(
    `wrote ${f.out}: ${summary.bytes} bytes, ${summary.parameters} parameters, ${summary.kept} values kept, window ${f.window}`,
  );
  console.log(`  computed on ${hash}${f.state ? `; error feedback kept in ${f.state}` : ""}`);
}
