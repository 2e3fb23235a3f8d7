/**
 * `pseudograd aggregate`: the next global checkpoint from submissions. Each file is read strictly
 * against the checkpoint's layout and must have been computed on it; the files are sorted by
 * their SHA-256 so that any order of the same set gives the same checkpoint and model hash.
 */
import { basename } from "node:path";
import { checkModel } from "../../eval/mod.ts";
import {
  type CodecSettings,
  fileSha256Hex,
  hashModelDir,
  layoutOf,
  loadSubmission,
  SubmissionRefused,
  writeNextCheckpoint,
} from "../../src/mod.ts";
import { progress, UsageError } from "../cli/mod.ts";

/** Runs `aggregate` with the task's flags. */
export async function aggregateCommand(f: {
  model?: string;
  pseudograd: string[];
  lr: number;
  window: number;
  codec: CodecSettings;
  out?: string;
  json: boolean;
}): Promise<void> {
  if (!f.model || !f.out || f.pseudograd.length === 0) {
    throw new UsageError("aggregate needs --model, --out and at least one --pseudograd");
  }
  if (!(f.lr > 0)) throw new UsageError("--lr must be positive");
  try {
    await Deno.stat(f.out);
    throw new UsageError(`--out ${JSON.stringify(f.out).slice(0, 80)} exists; give a new directory`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const codec = f.codec;
  const base = await checkModel(f.model);
  const layout = layoutOf(base, codec);
  const { hash: parent } = await hashModelDir(f.model);
  const bar = progress({ quiet: f.json, intervalMs: 5_000 });
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
  const peers = [];
  for (const [i, file] of f.pseudograd.entries()) {
    bar.update(`reading submission ${i + 1}/${f.pseudograd.length} (${basename(file)}), ${elapsed()}`);
    const submission = await loadSubmission(file, layout, basename(file));
    if (submission.meta.base !== parent) {
      throw new SubmissionRefused(
        "base",
        `${basename(file)}: computed on ${submission.meta.base}, not on --model (${parent})`,
      );
    }
    peers.push({ label: basename(file), sha256: await fileSha256Hex(file), submission });
  }
  peers.sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
  const manifest = await writeNextCheckpoint(base, {
    layout,
    parent,
    peers,
    lr: f.lr,
    outDir: f.out,
    window: f.window,
    onParameter: (done, total, name) => bar.update(`aggregating parameter ${done}/${total} (${name}), ${elapsed()}`),
  });
  bar.done();
  if (f.json) return void console.log(JSON.stringify(manifest));
  console.log(`wrote ${f.out}: ${peers.length} submissions at lr ${f.lr}, hash ${manifest.result}`);
  for (const p of manifest.peers) {
    const factors = Object.values(p.clip_factors);
    console.log(`  ${p.label}: clip factor ${Math.min(...factors).toFixed(4)}–${Math.max(...factors).toFixed(4)}`);
  }
}
