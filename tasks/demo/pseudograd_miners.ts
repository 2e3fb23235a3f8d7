/**
 * The miners of a pseudo-gradient competition as the validator meets them: each window, each
 * reads the global checkpoint, "trains" by counting the pages it was assigned
 * (fixtures/pseudograd_miners.ts: a byte bigram model fitted to what it has seen), sends
 * Δ = θ_global − θ_trained through its error feedback and the competition's codec, pushes
 * `pseudograd.safetensors` to its own repo of the model store, and commits
 * `namespace:name:commit:secure_hash:competition` on chain inside the window's put period. Who
 * does what: honest miners, a generic one that counts the same text whatever it is assigned, a ×20
 * scaler, a zero update, a copier of the first honest miner's file (committed two blocks later),
 * a miner whose file breaks one rule of the format each window, and a late one (after the deadline).
 */
import { join } from "node:path";
import { checkModel } from "../../eval/mod.ts";
import { bigramTarget, breakSubmission, fitText, minerDelta, textPages } from "../../fixtures/mod.ts";
import {
  assignedPages,
  compressWithFeedback,
  type DatasetsServerClient,
  encodeSubmission,
  layoutOf,
  type LocalChain,
  type ModelStore,
  type PseudogradCompetition,
  pullCheckpoint,
  readParameter,
  secureHash,
  storedParameters,
  SUBMISSION_FILE,
  submissionHash,
  windowSpan,
} from "../../src/mod.ts";
import type { DemoKey } from "./network.ts";

/**
 * How far a window of training moves a miner's model from the global one toward what its pages
 * teach: its pseudo-gradient is this window's progress, not the whole distance, which error
 * feedback would otherwise send again in later windows on top of the residual it keeps.
 */
export const TRAINING_STEP = 0.5;

/** What a miner does each window. */
export type WindowBehaviour = "honest" | "generic" | "scaler" | "zero" | "copier" | "broken" | "late";

/** One miner of the competition. */
export interface WindowMiner {
  name: string;
  behaviour: WindowBehaviour;
  key: DemoKey;
  uid: number;
}

/** The miners' shared world: the chain they commit to, the store they push to, the pages they are assigned. */
export interface WindowWorld {
  competition: PseudogradCompetition;
  chain: LocalChain;
  netuid: number;
  store: ModelStore;
  datasets: DatasetsServerClient;
  cacheDir: string;
  /** Where the miners write their files before pushing. */
  workDir: string;
  /** The text the starting checkpoint was fitted on: what every miner's model knows before its pages. */
  startingText: readonly string[];
}

/** The miners, with what each remembers between windows (its error feedback, the pages it has counted). */
export class WindowMiners {
  readonly #buffers = new Map<number, Map<string, Float32Array>>();
  readonly #seen = new Map<number, string[]>();
  #generic?: string[];

  constructor(readonly world: WindowWorld, readonly miners: readonly WindowMiner[]) {}

  /** The pinned starting checkpoint, fetched from the store at its commit: window 0's global model. */
  async startingCheckpoint(): Promise<{ dir: string; hash: string }> {
    const { repo, revision, hash } = this.world.competition.pseudograd.base;
    const got = await this.world.store.download({
      repo,
      commit: revision,
      paths: ["config.json", "model.safetensors"],
      cacheDir: join(this.world.cacheDir, "starting-checkpoint"),
    });
    return { dir: got.dir, hash };
  }

  /** The validator's latest published checkpoint, as a miner pulls it (`deno task pseudograd pull`). */
  async publishedCheckpoint(repo: string): Promise<{ dir: string; hash: string; window: number | null }> {
    const got = await pullCheckpoint(this.world.store, { repo, cacheDir: join(this.world.cacheDir, "published") });
    return { dir: got.dir, hash: got.hash, window: got.manifest.window };
  }

  /**
   * Advances the chain to window `w`'s end and submits every miner's file for it on the checkpoint
   * `global`: all in the put period but the copier (two blocks after its source) and the late
   * miner (one block after the deadline). Leaves the chain one block past the deadline's next.
   */
  async submitWindow(w: number, global: { dir: string; hash: string }): Promise<void> {
    const { competition, chain } = this.world;
    const rules = competition.pseudograd;
    const span = windowSpan(w, rules);
    await advanceTo(chain, span.end);
    const model = await checkModel(global.dir);
    const layout = layoutOf(model, rules.codec);
    const theta = new Map<string, Float32Array>();
    for (const [name, ref] of storedParameters(model)) theta.set(name, await readParameter(model, ref));
    const startBlockHash = await chain.blockHash(span.start);
    this.#generic ??= textPages(await fitText()).slice(0, 4);

    const files = new Map<number, Uint8Array>();
    /** Δ for the miner's target, through its own error feedback, as a submission file. */
    const submission = (uid: number, target: Map<string, Float32Array> | null, times = 1) => {
      const delta = minerDelta(theta, target, { seed: 1000 * w + uid, scale: times * TRAINING_STEP });
      const step = compressWithFeedback(layout, delta, this.#buffers.get(uid) ?? new Map());
      this.#buffers.set(uid, step.buffer);
      return encodeSubmission(layout, step.parameters, { window: w, base: global.hash, codec: rules.codec });
    };
    const honestTarget = async (uid: number) => {
      const pages = await assignedPages(competition, {
        client: this.world.datasets,
        cacheDir: this.world.cacheDir,
        window: w,
        uid,
        startBlockHash,
      });
      // A window's training is two 1 kB pages of what it was assigned: counting much more text at
      // once moves the log counts of the pairs it holds far more than the few a top-k update carries.
      const fresh = textPages(pages.documents.join("\n")).slice(0, 2);
      const seen = [...(this.#seen.get(uid) ?? this.world.startingText), ...fresh];
      this.#seen.set(uid, seen);
      return bigramTarget(seen, 1);
    };
    for (const m of this.miners) {
      if (m.behaviour === "copier") continue;
      const bytes = m.behaviour === "generic"
        ? submission(m.uid, bigramTarget(this.#generic, 1))
        : m.behaviour === "zero"
        ? submission(m.uid, null)
        : m.behaviour === "scaler"
        ? submission(m.uid, await honestTarget(m.uid), 20)
        : m.behaviour === "broken"
        ? breakSubmission(submission(m.uid, await honestTarget(m.uid)), w)
        : submission(m.uid, await honestTarget(m.uid));
      files.set(m.uid, bytes);
    }
    const source = this.miners.find((m) => m.behaviour === "honest");
    for (const m of this.miners) {
      if (m.behaviour === "copier" && source) files.set(m.uid, files.get(source.uid)!);
    }

    const at = (b: WindowBehaviour) => b === "copier" ? span.end + 2 : b === "late" ? span.deadline + 1 : span.end;
    for (const block of [...new Set(this.miners.map((m) => at(m.behaviour)))].sort((a, b) => a - b)) {
      await advanceTo(chain, block);
      for (const m of this.miners.filter((m) => at(m.behaviour) === block)) {
        await this.#publish(m, w, files.get(m.uid)!);
      }
    }
    await advanceTo(chain, span.deadline + 2);
  }

  /** Pushes the file to the miner's repo and commits it on chain. */
  async #publish(m: WindowMiner, w: number, bytes: Uint8Array): Promise<void> {
    const dir = join(this.world.workDir, m.name, `window-${w}`);
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeFile(join(dir, SUBMISSION_FILE), bytes);
    const repo = `${m.name}/pseudograd`;
    const commit = await this.world.store.upload({ repo, dir, paths: [SUBMISSION_FILE] });
    const secure = secureHash(submissionHash(bytes), m.key.address);
    await this.world.chain.setCommitment(
      this.world.netuid,
      m.key,
      `${m.name}:pseudograd:${commit}:${secure}:${this.world.competition.id}`,
    );
  }
}

async function advanceTo(chain: LocalChain, block: number): Promise<void> {
  const head = await chain.currentBlock();
  if (block > head) chain.advance(block - head);
}
