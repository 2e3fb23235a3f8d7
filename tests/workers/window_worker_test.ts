/**
 * A worker's part of a window (src/workers/window_worker.ts), without the queue: a peer's losses
 * are those the validator measures in its own process, and a global checkpoint or a peer's file
 * that is not the one the job names is a failed part with its reason, never a measurement.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { checkModel } from "../../eval/mod.ts";
import { evalSequences, Rng } from "../../fixtures/mod.ts";
import {
  compressParameter,
  encodeSubmission,
  GlobalSession,
  hashModelDir,
  layoutOf,
  LocalModelStore,
  measurePeers,
  measureWindowJob,
  readSubmission,
  SUBMISSION_FILE,
  type WindowJobMessage,
  WIRE_VERSION,
  type WorkerOptions,
} from "../../src/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("a worker's window part: the in-process losses for a good job; another checkpoint or file is a failed part", async () => {
  const root = await tempDir("sn9-window-worker-");
  const store = new LocalModelStore(join(root, "store"));
  const baseDir = await tinyModel("llama-bf16-untied");
  const revision = await store.upload({ repo: "sn9/base", dir: baseDir, paths: ["config.json", "model.safetensors"] });
  const hash = (await hashModelDir(baseDir)).hash;
  const base = await checkModel(baseDir);
  const codec = { chunk: 8, topk: 4, bins: 8, range: 6 };
  const layout = layoutOf(base, codec);
  const rng = new Rng(17);
  const wire = new Map(layout.parameters.map((p) => {
    const n = p.geometry.shape.reduce((a, b) => a * b, 1);
    return [p.name, compressParameter(rng.normals(n, 0.4), p.geometry.shape, codec)];
  }));
  const file = encodeSubmission(layout, wire, { window: 0, base: hash, codec });
  await Deno.mkdir(join(root, "peer"));
  await Deno.writeFile(join(root, "peer", SUBMISSION_FILE), file);
  const peerRevision = await store.upload({ repo: "m/peer", dir: join(root, "peer"), paths: [SUBMISSION_FILE] });
  const sequences = await evalSequences(24, 5);
  const data = { random: sequences.slice(0, 3), own: new Map([[6, sequences.slice(3)]]) };
  const factors = new Map(layout.parameters.map((p, i) => [p.name, i % 2 ? 1 : 0.5]));

  const o = {
    store,
    cacheDir: join(root, "hub"),
    signal: new AbortController().signal,
    log: () => {},
  } as unknown as WorkerOptions;
  const lane = { device: "cpu" as const, threads: 1 };
  const job = (over: Partial<WindowJobMessage> = {}): WindowJobMessage => ({
    v: WIRE_VERSION,
    kind: "window",
    key: "k.uid-6",
    id: "k.uid-6",
    stepKey: "k",
    competitionId: 4,
    window: 0,
    global: { repo: "sn9/base", revision, hash },
    codec,
    streamSha256: "0".repeat(64),
    batchSize: 2,
    maxAttempts: 3,
    scale: 0.2,
    peer: {
      uid: 6,
      repo: "m/peer",
      revision: peerRevision,
      sha256: createHash("sha256").update(file).digest("hex"),
      factors: Object.fromEntries(factors),
    },
    ...over,
  });
  const global = new GlobalSession();
  try {
    const got = await measureWindowJob(o, lane, job(), data, global);
    const want = await measurePeers(base, {
      layout,
      peers: [{ uid: 6, submission: readSubmission(file, layout), factors }],
      own: data.own,
      random: data.random,
      scale: 0.2,
      settings: { batchSize: 2, threads: 1 },
      workDir: join(root, "work"),
    });
    assert.equal(got.status, "ok", got.reason ?? "");
    assert.deepEqual(got.taskLosses, {
      own_before: want.peers[0].ownBefore,
      own_after: want.peers[0].ownAfter,
      random_after: want.peers[0].randomAfter,
    });
    const globalPart = await measureWindowJob(
      o,
      lane,
      job({ key: "k.global", id: "k.global", peer: undefined }),
      data,
      global,
    );
    assert.deepEqual(globalPart.taskLosses, { random_before: want.randomBefore });

    const refused: [Partial<WindowJobMessage>, RegExp][] = [
      [
        { peer: { ...job().peer!, sha256: "f".repeat(64) } },
        /uid 6: pseudograd\.safetensors hashes to .*, not the ffffffffffff… the validator read/,
      ],
      [
        { global: { repo: "sn9/base", revision, hash: "A".repeat(43) + "=" } },
        /the downloaded files hash to .*, not the pinned A{43}=/,
      ],
      [{ peer: { ...job().peer!, uid: 9 } }, /no own sequences for uid 9/],
    ];
    for (const [over, rule] of refused) {
      const r = await measureWindowJob(o, lane, job(over), data, global);
      assert.equal(r.status, "failed");
      assert.equal(r.loss, null);
      assert.match(r.reason!, rule);
    }
  } finally {
    await global.release();
  }
  await Deno.remove(root, { recursive: true });
});
