/**
 * The losses a window's scores come from: the global model's on the window's random sequences
 * (once) and on each peer's own ones, and each peer's θ' = θ − scale·c·decode(Δ) on both. θ' is
 * applied one of two ways (`apply`): as positions and values that one session of the global
 * model replaces on each run ("graph", the default), or as a float32 copy compiled into a session
 * of its own ("copy"). Both give the same weights, bit for bit; `deno task bench --pseudograd`
 * times them. Every session runs in float32 with the same options, so before and after differ
 * only by the update.
 */
import { join } from "node:path";
import {
  type CheckedModel,
  checkModel,
  createLossSession,
  createReplacingSession,
  type Device,
  evaluateLosses,
  type LossSession,
  type ReplacingSession,
  type SessionOptions,
} from "../../eval/mod.ts";
import { readParameters } from "./global_model.ts";
import type { SubmissionLayout } from "./layout.ts";
import { peerReplacements, type PeerUpdate, writePeerModel } from "./peer_model.ts";
import type { Submission } from "./submission.ts";
import type { PeerLosses } from "./window_score.ts";

/** How a peer's θ' reaches the engine: replaced in one session's graph, or a copy with a session of its own. */
export type ApplyUpdate = "graph" | "copy";

/** How the sessions run. */
export interface MeasureSettings {
  batchSize: number;
  device?: Device;
  /** Which GPU of several. */
  deviceId?: number;
  threads?: number;
  /** Default "graph". */
  apply?: ApplyUpdate;
}

/** One peer's mean losses, and its smallest clip factor. */
export interface PeerMeasurement extends PeerLosses {
  clip: number;
}

/** Float32 sessions on the settings' device, long enough for every sequence given. */
function float32Options(s: MeasureSettings, sequences: number[][]): SessionOptions {
  const { device, deviceId, threads } = s;
  return {
    maxSequenceLength: Math.max(...sequences.map((x) => x.length)),
    compute: "float32",
    device,
    deviceId,
    threads,
  };
}

/** A loss session of `model` in float32, long enough for every sequence given. */
export function openFloat32Session(
  model: CheckedModel,
  s: MeasureSettings,
  sequences: number[][],
): Promise<LossSession> {
  return createLossSession(model, float32Options(s, sequences));
}

/** The mean per-sequence loss of `sequences`. */
export async function meanLoss(session: LossSession, sequences: number[][], batchSize: number): Promise<number> {
  const xs = await evaluateLosses(session, sequences, { batchSize });
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** What a window's peers are measured on. */
export interface MeasureInputs {
  layout: SubmissionLayout;
  peers: readonly { uid: number; submission: Submission; factors: ReadonlyMap<string, number> }[];
  own: ReadonlyMap<number, number[][]>;
  random: number[][];
  /** Held-out sequences measured on the global model too. */
  heldOut?: number[][];
  scale: number;
  settings: MeasureSettings;
  /** Where "copy" writes each peer's θ'. */
  workDir: string;
  log?: (line: string) => void;
}

/** The global model's losses on the window's common sets, and every peer's measurement. */
export interface PeersMeasured {
  randomBefore: number;
  heldOutBefore?: number;
  peers: PeerMeasurement[];
}

/** Measures every peer against the global model `base`, in this process. */
export async function measurePeers(base: CheckedModel, o: MeasureInputs): Promise<PeersMeasured> {
  const all = [o.random, ...o.own.values(), o.heldOut ?? []].flat();
  const sets = { random: o.random, batchSize: o.settings.batchSize };
  let global: LossSession;
  let measurePeer: (update: PeerUpdate, own: number[][], uid: number) => Promise<Losses>;
  if ((o.settings.apply ?? "graph") === "graph") {
    const session = await openReplacingSession(base, o.layout, o.settings, all);
    const theta = await readParameters(base);
    global = session;
    measurePeer = (update, own) => measureReplacedPeer(session, theta, update, { ...sets, own });
  } else {
    const session = global = await openFloat32Session(base, o.settings, all);
    measurePeer = async (update, own, uid) => ({
      ownBefore: await meanLoss(session, own, sets.batchSize),
      ...await measureCopy(base, update, join(o.workDir, `uid-${uid}`), all, { ...sets, own, settings: o.settings }),
    });
  }
  try {
    const randomBefore = await meanLoss(global, o.random, sets.batchSize);
    const heldOutBefore = o.heldOut ? await meanLoss(global, o.heldOut, sets.batchSize) : undefined;
    const peers: PeerMeasurement[] = [];
    for (const { uid, submission, factors } of o.peers) {
      const own = o.own.get(uid);
      if (!own || own.length === 0) throw new RangeError(`no own sequences for uid ${uid}`);
      const losses = await measurePeer({ layout: o.layout, submission, scale: o.scale, factors }, own, uid);
      const m = { uid, ...losses, clip: Math.min(...factors.values()) };
      peers.push(m);
      o.log?.(measurementLine(m, randomBefore));
    }
    return { randomBefore, heldOutBefore, peers };
  } finally {
    await global.release();
  }
}

/** A peer's mean losses (window_score.ts's, without the uid). */
type Losses = Omit<PeerLosses, "uid">;

/** The sequences a peer is measured on. */
interface PeerSequences {
  own: number[][];
  random: number[][];
  batchSize: number;
}

/** A peer's measurement as a log line. */
export function measurementLine(m: PeerMeasurement, randomBefore: number): string {
  return `uid ${m.uid}: own ${m.ownBefore.toFixed(5)} → ${m.ownAfter.toFixed(5)}, random ${randomBefore.toFixed(5)} → ${
    m.randomAfter.toFixed(5)
  }`;
}

/** A float32 session of `base` whose layout parameters each run may replace. */
export function openReplacingSession(
  base: CheckedModel,
  layout: SubmissionLayout,
  s: MeasureSettings,
  sequences: number[][],
): Promise<ReplacingSession> {
  return createReplacingSession(base, {
    ...float32Options(s, sequences),
    replaced: layout.parameters.map((p) => p.name),
  });
}

/**
 * One peer on the global model's replacing session (in this process, and on a queue worker): its
 * own loss before, then θ' as the session's replacements, then the global model back.
 */
export async function measureReplacedPeer(
  session: ReplacingSession,
  theta: ReadonlyMap<string, Float32Array>,
  update: PeerUpdate,
  { own, random, batchSize }: PeerSequences,
): Promise<Losses> {
  const ownBefore = await meanLoss(session, own, batchSize);
  session.replace(peerReplacements(theta, update));
  try {
    return { ownBefore, ...await lossesAfter(session, { own, random, batchSize }) };
  } finally {
    session.replace(new Map());
  }
}

/** θ' as a float32 copy in `dir`, evaluated in a session of its own and removed. */
async function measureCopy(
  base: CheckedModel,
  update: PeerUpdate,
  dir: string,
  all: number[][],
  o: PeerSequences & { settings: MeasureSettings },
): Promise<{ ownAfter: number; randomAfter: number }> {
  await writePeerModel(base, { ...update, outDir: dir });
  const applied = await checkModel(dir, { scanWeights: false, label: `${dir} applied` });
  const session = await openFloat32Session(applied, o.settings, all);
  try {
    return await lossesAfter(session, o);
  } finally {
    await session.release();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The own and random losses of a session that holds θ'. */
async function lossesAfter(
  session: LossSession,
  { own, random, batchSize }: PeerSequences,
): Promise<{ ownAfter: number; randomAfter: number }> {
  return { ownAfter: await meanLoss(session, own, batchSize), randomAfter: await meanLoss(session, random, batchSize) };
}
