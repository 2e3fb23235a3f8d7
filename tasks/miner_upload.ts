/**
 * `deno task miner:upload`: checks a model as validators will, checks the hotkey's registration,
 * asks before replacing a commitment, then pushes the hashed file set (private by default),
 * commits the metadata string with the hotkey and reads it back. Exit 0 when committed, 1 when
 * refused (with the rule that stopped it), 2 on bad flags.
 */
import { competitionAt, scheduleAt } from "../src/mod.ts";
import { publishModel } from "../miner/mod.ts";
import {
  checkSubmissionKind,
  defineCommand,
  flags,
  main,
  networkFlags,
  openNetworkFromFlags,
  UsageError,
} from "./cli/mod.ts";

export const command = defineCommand({
  name: "miner:upload",
  summary: "Checks a model against its competition, pushes it, and commits its metadata on chain.",
  flags: {
    ...networkFlags,
    model: flags.path("the model directory (config.json + safetensors)", { mustExist: "dir" }),
    adapter: flags.path(
      "in an adapter competition: the PEFT adapter directory (adapter_config.json + adapter_model.safetensors)",
      {
        mustExist: "dir",
      },
    ),
    repo: flags.repo("where to push it"),
    competition: flags.int("the competition id", { min: 0, max: 65535 }),
    public: flags.boolean("open the repo after committing (default: private)"),
    yes: flags.boolean("replace this hotkey's existing commitment (it loses its block and epsilon advantage)"),
  },
  notes: [
    "The checks run the validator's own scoring on the pages of the current sync block, fetched from the",
    "network's datasets source (the bundled pages with --offline or on the embedded network).",
    "Environment: HF_TOKEN (write access to the namespace), SN9_HOTKEY_URI.",
  ],
  examples: [
    "deno task miner:upload --model ./my-model --repo you/my-model --competition 1",
    "SN9_HOTKEY_URI=//Zoe deno task miner:upload --adapter ./my-lora --repo zoe/my-lora --competition 3 --chain-db .cache/demo-run/chain.sqlite --store-dir .cache/demo-run/store",
    {
      line:
        "deno task miner:upload --model ./my-model --repo you/my-model --competition 2 --network finney --netuid 9 --wallet.name miner --wallet.hotkey default",
      checkOnly: "needs the real network, a wallet and a Hub token",
    },
  ],
  check({ flags: f }) {
    if ((!f.model && !f.adapter) || !f.repo || f.competition === undefined) {
      throw new UsageError("--model (or --adapter), --repo and --competition are required");
    }
    if (f.model && f.adapter) throw new UsageError("give --model or --adapter, not both");
  },
  async run({ flags: f }) {
    const network = await openNetworkFromFlags(f, console.log);
    try {
      const hotkey = await network.hotkey("miner");
      if (network.embedded) await network.prepareSubnet(hotkey, "miner");
      const block = await network.chain.currentBlock();
      const competition = competitionAt(network.schedule, block, f.competition!);
      if (!competition) throw new RangeError(`competition ${f.competition} is not in force at block ${block}`);
      checkSubmissionKind(competition, f.adapter !== undefined);
      const p = await publishModel({
        store: network.store,
        chain: network.chain,
        netuid: network.netuid,
        hotkey,
        dir: (f.adapter ?? f.model)!,
        repo: f.repo!,
        competition,
        checks: {
          datasets: network.datasets,
          cacheDir: f["cache-dir"],
          resolveTokenizer: network.resolveTokenizer,
          entryStart: scheduleAt(network.schedule, block).startBlock,
          modelCacheDir: network.modelCacheDir,
        },
        replace: f.yes,
        makePublic: f.public,
        log: console.log,
      });
      console.log(`committed: ${p.metadata} at block ${p.block}`);
    } finally {
      await network.close();
    }
  },
});

if (import.meta.main) await main(command);
