/**
 * `deno task pseudograd <encode|aggregate|score|pull>`: the tools of a pseudo-gradient competition.
 *   encode     a miner's submission: Δ = θ_base − θ_trained with error feedback, compressed
 *   aggregate  the next global checkpoint from submissions: θ − lr·clipped scatter-mean
 *   score      what-if scoring of one window from the peers' losses
 *   pull       a validator's published global checkpoint, checked against its manifest
 * Exit 0 on success, 1 on a refused file or input (one line naming the rule), 2 on bad flags.
 */
import { TEMPLAR_CODEC } from "../src/mod.ts";
import { defineCommand, flags, main, storeFlags } from "./cli/mod.ts";
import { codecFromFlag } from "./pseudograd/codec_flag.ts";
import { aggregateCommand } from "./pseudograd/aggregate.ts";
import { encodeCommand } from "./pseudograd/encode.ts";
import { pullCommand } from "./pseudograd/pull.ts";
import { scoreCommand } from "./pseudograd/score.ts";

const COMMANDS = ["encode", "aggregate", "score", "pull"] as const;

export const command = defineCommand({
  name: "pseudograd",
  summary:
    "Pseudo-gradient competitions: encode a miner's submission, aggregate submissions, score a window, pull a validator's checkpoint.",
  positionals: { usage: `<${COMMANDS.join("|")}>`, choices: COMMANDS, min: 1, max: 1 },
  flags: {
    base: flags.path("encode: the global checkpoint the miner started from", { mustExist: "dir" }),
    model: flags.path("encode: the miner's trained model; aggregate: the global checkpoint", { mustExist: "dir" }),
    state: flags.path("encode: the error-feedback buffer, read when present and rewritten (safetensors)"),
    window: flags.int("encode, aggregate: the window number", { default: 0 }),
    codec: flags.string("the competition's codec as JSON", { default: JSON.stringify(TEMPLAR_CODEC) }),
    pseudograd: flags.files("aggregate: a submission file"),
    lr: flags.number("aggregate: the outer learning rate", { default: 1.0, min: 0 }),
    out: flags.path("encode: the submission file to write; aggregate: a new directory for the checkpoint"),
    input: flags.string("score: the window's losses as JSON, or - for stdin", { placeholder: "<file|->" }),
    repo: flags.repo("pull: the validator's checkpoint repo, <namespace>/<competition>-global"),
    revision: flags.string("pull: a commit of it", { defaultText: "its latest" }),
    ...storeFlags,
    json: flags.boolean("print one JSON object"),
  },
  notes: [
    "encode writes pseudograd-v1: per parameter P.idxs (12-bit packed), P.vals (codes), P.lookup and P.shift,",
    "with metadata format, window, base (the checkpoint's model hash) and codec. aggregate sorts the",
    "submissions by their SHA-256, so any order of the same files gives the same checkpoint and hash.",
    'score input: {"random_before": 3.2, "peers": [{"uid": 1, "own_before": 3.1, "own_after": 3.0,',
    '  "random_after": 3.19}, …], "standing"?: {"1": {"mu": 25, "sigma": 8.33, "B": 0.05, "final": 0.1}}, "alpha"?: 0.05}',
  ],
  examples: [
    "deno task pseudograd encode --base .cache/demo-run/models/base --model .cache/demo-run/models/averaged --state ef.safetensors --window 7 --out a.safetensors",
    "deno task pseudograd encode --base .cache/demo-run/models/base --model .cache/demo-run/models/bob --window 7 --out b.safetensors",
    "deno task pseudograd aggregate --model .cache/demo-run/models/base --pseudograd a.safetensors --pseudograd b.safetensors --out ./global-next",
    "deno task pseudograd score --input examples/window.json",
    "deno task pseudograd pull --repo sn9/tiny-pseudograd-global --model-store local --store-dir .cache/demo-run/store",
  ],
  async run({ flags: f, positionals: [command] }) {
    const codec = codecFromFlag(f.codec);
    if (command === "encode") return await encodeCommand({ ...f, codec });
    if (command === "aggregate") return await aggregateCommand({ ...f, codec });
    if (command === "pull") return await pullCommand(f);
    return await scoreCommand(f);
  },
});

if (import.meta.main) await main(command);
