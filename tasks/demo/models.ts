/**
 * The demo's models: graded quality, a degenerate one, an oversized one, a broken one, a tiny
 * Llama; and for the adapter competition its base and three adapters (one fixes the base's
 * fault, one does nothing, one makes it worse).
 */
import { join } from "node:path";
import {
  fitText,
  QUALITY_CONFIG,
  randomParameters,
  TINY_MODELS,
  writeFaultAdapter,
  writeFaultyBase,
  writeModelFiles,
  writeQualityModel,
  writeTinyModel,
} from "../../fixtures/mod.ts";

/** One demo miner's model. */
export interface DemoModel {
  miner: string;
  dir: string;
  competitionId: number;
  note: string;
  /** Published without local checks (to show the validator refusing it). */
  skipChecks?: boolean;
}

/** Writes the demo's models under `root`. */
export async function writeDemoModels(root: string): Promise<DemoModel[]> {
  const text = await fitText();
  const out: DemoModel[] = [];
  const quality = async (miner: string, kind: "random" | "unigram" | "bigram", smoothing: number, note: string) => {
    const dir = join(root, miner);
    await writeQualityModel(kind, text, dir, { smoothing });
    out.push({ miner, dir, competitionId: 1, note });
  };
  await quality("bob", "bigram", 1, "bigram, light smoothing (best)");
  await quality("charlie", "bigram", 8, "bigram, more smoothing");
  await quality("dave", "bigram", 64, "bigram, heavy smoothing");
  await quality("walter", "bigram", 512, "bigram, very heavy smoothing");
  await quality("eve", "random", 1, "random weights");
  await quality("ferdie", "unigram", 1, "unigram: degenerate output");
  out.at(-1)!.skipChecks = true; // miner:upload would refuse it; pushed anyway to show the validator refusing it

  const big = { ...QUALITY_CONFIG, n_embd: 520, n_head: 4 };
  await writeModelFiles(join(root, "oscar"), { config: big, tensors: randomParameters(big, 3, 0.02), dtype: "F32" });
  out.push({
    miner: "oscar",
    dir: join(root, "oscar"),
    competitionId: 1,
    note: "over the parameter cap",
    skipChecks: true,
  });

  const broken = join(root, "mallory");
  await writeQualityModel("bigram", text, broken, { smoothing: 1 });
  const bytes = await Deno.readFile(join(broken, "model.safetensors"));
  new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length + 64), true); // header longer than the file
  await Deno.writeFile(join(broken, "model.safetensors"), bytes);
  out.push({ miner: "mallory", dir: broken, competitionId: 1, note: "broken safetensors header", skipChecks: true });

  const llama = TINY_MODELS.find((d) => d.name === "llama-f32-untied")!;
  await writeTinyModel(llama, join(root, "trent"));
  out.push({ miner: "trent", dir: join(root, "trent"), competitionId: 2, note: "tiny Llama" });

  const adapters = [
    ["grace", "fixes", "LoRA that cancels the base's fault"],
    ["heidi", "nothing", "LoRA as PEFT initialises it (B = 0)"],
    ["ivan", "hurts", "LoRA that doubles the base's fault"],
  ] as const;
  for (const [miner, effect, note] of adapters) {
    await writeFaultAdapter(join(root, miner), effect);
    out.push({ miner, dir: join(root, miner), competitionId: 3, note });
  }
  return out;
}

/** Writes the adapter competition's base (the bigram model with a low-rank fault) into `dir`. */
export async function writeDemoBase(dir: string): Promise<void> {
  await writeFaultyBase(dir, await fitText());
}
