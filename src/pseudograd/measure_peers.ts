/**
 * The losses a window's scores come from: the global model's on the window's random sequences
 * (once) and on each peer's own ones, and each peer's θ' = θ − scale·c·decode(Δ) on both, where
 * θ' is a float32 copy evaluated in its own session. Every session runs in float32 with the same
 * options, so before and after differ only by the update.
 */
import { join } from "node:path";
import {
  type CheckedModel,
  checkModel,
  createLossSession,
  type Device,
  evaluateLosses,
  type LossSession,
} from "../../eval/mod.ts";
import type { SubmissionLayout } from "./layout.ts";
import { writePeerModel } from "./peer_model.ts";
import type { Submission } from "./submission.ts";

/** How the sessions run. */
export interface MeasureSettings {
  batchSize: number;
  device?: Device;
  threads?: number;
}

/** One peer's mean losses, and its smallest clip factor. */
export interface PeerMeasurement {
  uid: number;
  ownBefore: number;
  ownAfter: number;
  randomAfter: number;
  clip: number;
}

/** A loss session of `model` in float32, long enough for every sequence given. */
export function openFloat32Session(
  model: CheckedModel,
  s: MeasureSettings,
  sequences: number[][],
): Promise<LossSession> {
  return createLossSession(model, {
    maxSequenceLength: Math.max(...sequences.map((x) => x.length)),
    compute: "float32",
    device: s.device,
    threads: s.threads,
  });
}

/** The mean per-sequence loss of `sequences`. */
export async function meanLoss(session: LossSession, sequences: number[][], batchSize: number): Promise<number> {
  const xs = await evaluateLosses(session, sequences, { batchSize });
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Measures every peer against the global model `base`. */
export async function measurePeers(
  base: CheckedModel,
  o: {
    layout: SubmissionLayout;
    peers: readonly { uid: number; submission: Submission; factors: ReadonlyMap<string, number> }[];
    own: ReadonlyMap<number, number[][]>;
    random: number[][];
    /** Held-out sequences measured on the global model too. */
    heldOut?: number[][];
    scale: number;
    settings: MeasureSettings;
    workDir: string;
    log?: (line: string) => void;
  },
): Promise<{ randomBefore: number; heldOutBefore?: number; peers: PeerMeasurement[] }> {
  const all = [o.random, ...o.own.values(), o.heldOut ?? []].flat();
  const mean = (session: LossSession, sequences: number[][]) => meanLoss(session, sequences, o.settings.batchSize);
  const global = await openFloat32Session(base, o.settings, all);
  try {
    const randomBefore = await mean(global, o.random);
    const heldOutBefore = o.heldOut ? await mean(global, o.heldOut) : undefined;
    const peers: PeerMeasurement[] = [];
    for (const { uid, submission, factors } of o.peers) {
      const own = o.own.get(uid);
      if (!own || own.length === 0) throw new RangeError(`no own sequences for uid ${uid}`);
      const dir = join(o.workDir, `uid-${uid}`);
      await writePeerModel(base, { layout: o.layout, submission, scale: o.scale, outDir: dir, factors });
      const applied = await checkModel(dir, { scanWeights: false, label: `uid ${uid} applied` });
      const session = await openFloat32Session(applied, o.settings, all);
      try {
        const m = {
          uid,
          ownBefore: await mean(global, own),
          ownAfter: await mean(session, own),
          randomAfter: await mean(session, o.random),
          clip: Math.min(...factors.values()),
        };
        peers.push(m);
        o.log?.(
          `uid ${uid}: own ${m.ownBefore.toFixed(5)} → ${m.ownAfter.toFixed(5)}, random ${randomBefore.toFixed(5)} → ${
            m.randomAfter.toFixed(5)
          }`,
        );
      } finally {
        await session.release();
        await Deno.remove(dir, { recursive: true });
      }
    }
    return { randomBefore, heldOutBefore, peers };
  } finally {
    await global.release();
  }
}
