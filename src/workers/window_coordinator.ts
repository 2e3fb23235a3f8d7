/**
 * A pseudo-gradient window's forward passes on the queue's workers (`WindowWorkers`): one batch
 * of jobs over the window's data (window_data_blob.ts), one for the global model's losses on the
 * common random and held-out sequences and one per evaluated peer, which the worker measures as
 * the validator would in its own process (θ' replaced in one session of the global checkpoint).
 * A part no worker could measure fails the window's turn, to be evaluated again at the next: a
 * window is judged whole or not at all.
 */
import { type MeasureInputs, measurementLine, type PeerMeasurement, type PeersMeasured } from "../pseudograd/mod.ts";
import type { WindowOnWorkers, WindowWorkers } from "../validator/mod.ts";
import { type CoordinatorOptions, runJobs } from "./jobs_on_queue.ts";
import { type ResultMessage, windowJobKey, type WindowJobMessage, WIRE_VERSION } from "./messages.ts";
import type { EvalQueue } from "./queue.ts";
import { encodeWindowData } from "./window_data_blob.ts";

/** Windows measured on the queue's workers. */
export function queueWindowMeasurer(queue: EvalQueue, o: CoordinatorOptions = {}): WindowWorkers {
  return {
    async measure(w, inputs) {
      const { bytes, sha256 } = encodeWindowData({ random: inputs.random, heldOut: inputs.heldOut, own: inputs.own });
      // The global model's part, then each peer's, with where its file is and its clip factors.
      const job = (peer?: MeasureInputs["peers"][number]): WindowJobMessage => {
        const key = windowJobKey(w.stepKey, peer?.uid);
        const where = peer && w.submissions.get(peer.uid);
        if (peer && !where) throw new RangeError(`window ${w.window}: no file of uid ${peer.uid} to send`);
        return {
          v: WIRE_VERSION,
          kind: "window",
          key,
          id: key,
          stepKey: w.stepKey,
          competitionId: w.competitionId,
          window: w.window,
          global: w.global,
          codec: w.codec,
          streamSha256: sha256,
          batchSize: inputs.settings.batchSize,
          maxAttempts: o.maxAttempts ?? 3,
          scale: inputs.scale,
          peer: peer && { uid: peer.uid, ...where!, factors: Object.fromEntries(peer.factors) },
        };
      };
      const jobs = [
        { item: "global" as const, job: job() },
        ...inputs.peers.map((p) => ({ item: p.uid, job: job(p) })),
      ];
      const results = new Map<number | "global", ResultMessage["record"]>();
      const failures: string[] = [];
      const label = (part: number | "global") => (part === "global" ? "the global model" : `uid ${part}`);
      await runJobs<number | "global">(queue, {
        stepKey: w.stepKey,
        dataHash: sha256,
        data: () => bytes,
        jobs,
        noun: `parts of window ${w.window}`,
        label,
        accept: (part, result) => {
          if (result.record.status !== "ok") failures.push(`${label(part)}: ${result.record.reason}`);
          else results.set(part, result.record);
        },
        fail: (part, why) => failures.push(`${label(part)}: ${why}`),
        log: w.log,
        signal: w.signal,
      }, o);
      if (failures.length > 0) {
        throw new Error(`window ${w.window}: the workers could not measure ${failures.join("; ").slice(0, 300)}`);
      }
      return measured(w, inputs.peers, results, inputs.heldOut !== undefined);
    },
  };
}

/** The window's measurements from its parts' results, each loss present and finite. */
function measured(
  w: WindowOnWorkers,
  peers: readonly { uid: number; factors: ReadonlyMap<string, number> }[],
  results: ReadonlyMap<number | "global", ResultMessage["record"]>,
  heldOut: boolean,
): PeersMeasured {
  const loss = (part: number | "global", name: string): number => {
    const x = results.get(part)?.taskLosses[name];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new Error(`window ${w.window}: a worker's result for ${part} has no finite ${name}`);
    }
    return x;
  };
  const out: PeersMeasured = {
    randomBefore: loss("global", "random_before"),
    heldOutBefore: heldOut ? loss("global", "held_out_before") : undefined,
    peers: peers.map((p): PeerMeasurement => ({
      uid: p.uid,
      ownBefore: loss(p.uid, "own_before"),
      ownAfter: loss(p.uid, "own_after"),
      randomAfter: loss(p.uid, "random_after"),
      clip: Math.min(...p.factors.values()),
    })),
  };
  for (const m of out.peers) w.log(measurementLine(m, out.randomBefore));
  return out;
}
