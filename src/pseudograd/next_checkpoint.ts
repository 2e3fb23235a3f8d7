/**
 * The outer step (docs/pseudograd.md, "Decoding and the aggregate"): the next global checkpoint from the gathered
 * submissions, θ_{w+1} = θ_w − lr·agg, where agg is, per parameter, the scatter-mean of every
 * peer's values clipped to the lower median of the peers' norms. Deterministic: peers in the
 * order given (the caller sorts them, by uid on chain), sums in float64 and one rounding to
 * float32, so every validator and miner computes the same file and the same model hash. A
 * `window_manifest.json` beside the model says how it was made.
 */
import { join } from "node:path";
import type { CheckedModel } from "../../eval/mod.ts";
import { hashModelDir } from "../metadata/mod.ts";
import { aggregateParameter } from "./decode.ts";
import { writeUpdatedModel } from "./global_model.ts";
import type { SubmissionLayout } from "./layout.ts";
import type { Submission } from "./submission.ts";

/** The manifest's file name, beside the checkpoint. */
export const MANIFEST_FILE = "window_manifest.json";

/** One gathered peer. */
export interface GatheredPeer {
  /** Who sent it (a uid, a hotkey, a file name). */
  label: string;
  /** SHA-256 (hex) of the submission file. */
  sha256: string;
  submission: Submission;
}

/** What the manifest records. */
export interface CheckpointManifest {
  format: "pseudograd-checkpoint-v1";
  window: number | null;
  /** The parent checkpoint's model hash. */
  parent: string;
  outer_lr: number;
  codec: SubmissionLayout["codec"];
  peers: { label: string; sha256: string; clip_factors: Record<string, number> }[];
  clip_norms: Record<string, number>;
  /** The new checkpoint's model hash. */
  result: string;
}

/** Aggregates `peers` into a new checkpoint in `outDir`; returns its manifest. */
export async function writeNextCheckpoint(
  base: CheckedModel,
  { layout, parent, peers, lr, outDir, window, onParameter }: {
    layout: SubmissionLayout;
    parent: string;
    peers: readonly GatheredPeer[];
    lr: number;
    outDir: string;
    window?: number;
    /** Told after each parameter is aggregated (for progress). */
    onParameter?: (done: number, total: number, name: string) => void;
  },
): Promise<CheckpointManifest> {
  if (peers.length === 0) throw new RangeError("the aggregate needs at least one submission");
  if (!(Number.isFinite(lr) && lr > 0)) throw new RangeError(`the outer learning rate ${lr} must be positive`);
  const updates = new Map<string, Float64Array>();
  const clipNorms: Record<string, number> = {};
  const factors: Record<string, number>[] = peers.map(() => ({}));
  for (const [i, p] of layout.parameters.entries()) {
    const agg = aggregateParameter(p, peers.map((peer) => peer.submission.parameters.get(p.name)!));
    updates.set(p.name, agg.dense);
    clipNorms[p.name] = agg.clipNorm;
    agg.factors.forEach((f, j) => (factors[j][p.name] = f));
    onParameter?.(i + 1, layout.parameters.length, p.name);
  }
  await writeUpdatedModel(base, updates, { scale: lr, outDir });
  const manifest: CheckpointManifest = {
    format: "pseudograd-checkpoint-v1",
    window: window ?? null,
    parent,
    outer_lr: lr,
    codec: layout.codec,
    peers: peers.map((peer, i) => ({ label: peer.label, sha256: peer.sha256, clip_factors: factors[i] })),
    clip_norms: clipNorms,
    result: (await hashModelDir(outDir)).hash,
  };
  await Deno.writeTextFile(join(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}
