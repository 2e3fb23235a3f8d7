/**
 * The miner commands with an adapter, on the embedded network: `miner:eval --adapter` fetches the
 * local schedule's pinned base from the store, scores it on the same pages and reports the
 * improvement and the verdict; `--model` where adapters are expected (and the reverse) is a usage
 * error naming the competition's kind; `miner:upload --adapter` commits the adapter's file set.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BUNDLED_SCHEDULES,
  competitionAt,
  hashModelDir,
  keyFromUri,
  loadSchedule,
  LocalChain,
  localModelFileSet,
  LocalModelStore,
  parseModelId,
  secureHash,
} from "../../src/mod.ts";
import { fitText, writeFaultAdapter, writeFaultyBase } from "../../fixtures/mod.ts";
import { runScript } from "../helpers/process.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("miner:eval and miner:upload with --adapter in the local schedule's adapter competition", async () => {
  const root = await tempDir("sn9-miner-adapter-");
  const storeDir = join(root, "store"), chainDb = join(root, "chain.sqlite"), cache = join(root, "cache");
  // The base where competition 3 pins it (the demo publishes it the same way).
  const pin = competitionAt(await loadSchedule(BUNDLED_SCHEDULES.local), 0, 3)!.adapter!.base;
  const base = join(root, "base");
  await writeFaultyBase(base, await fitText());
  const commit = await new LocalModelStore(storeDir).upload({
    repo: pin.repo,
    dir: base,
    paths: await localModelFileSet(base),
  });
  assert.equal(commit, pin.revision, "the fixture base is the pinned one");
  const adapter = join(root, "fix");
  await writeFaultAdapter(adapter, "fixes");
  const net = ["--chain-db", chainDb, "--store-dir", storeDir, "--cache-dir", cache];
  // The demo's genesis and a manual clock: the pages are the demo's, on which the bigram-based base
  // passes SN9's degenerate-output check (bigram models pass it only for some prompt pairs).
  await LocalChain.open(chainDb, { clock: { kind: "manual" }, genesisHash: `0x${"7".padStart(64, "0")}` }).close();

  const evaluated = await runScript([
    "tasks/miner_eval.ts",
    "--adapter",
    adapter,
    "--competition",
    "3",
    "--json",
    ...net,
  ]);
  assert.equal(evaluated.code, 0, evaluated.lines.join("\n"));
  const r = JSON.parse(evaluated.lines.find((l) => l.startsWith("{"))!);
  assert.equal(r.status, "ok");
  assert.ok(r.baseLoss > r.loss && Math.abs(r.improvement - (r.baseLoss - r.loss)) < 1e-12);
  assert.match(r.verdict, /^improves on the base by \d+\.\d{4} \(\d+\.\d{2}%\); passes; no leader to compare with$/);

  const wrongKind = await runScript(["tasks/miner_eval.ts", "--model", base, "--competition", "3", ...net]);
  assert.equal(wrongKind.code, 2);
  assert.match(
    wrongKind.lines.at(-1)!,
    /^error: competition 3 \(tiny-gpt2-lora\) takes PEFT adapters on sn9\/tiny-gpt2-base: give --adapter, not --model/,
  );
  const reverse = await runScript(["tasks/miner_eval.ts", "--adapter", adapter, "--competition", "1", ...net]);
  assert.equal(reverse.code, 2);
  assert.match(reverse.lines.at(-1)!, /takes full models: give --model, not --adapter/);

  const miner = await keyFromUri("//adapter-miner");
  const uploaded = await runScript(
    ["tasks/miner_upload.ts", "--adapter", adapter, "--repo", "lora/fix", "--competition", "3", ...net],
    { env: { SN9_HOTKEY_URI: "//adapter-miner" } },
  );
  assert.equal(uploaded.code, 0, uploaded.lines.join("\n"));
  const chain = LocalChain.open(chainDb);
  const committed = parseModelId((await chain.commitment(1, miner.address))!.data);
  await chain.close();
  assert.equal(committed.competitionId, 3);
  assert.equal(committed.secureHash, secureHash((await hashModelDir(adapter)).hash, miner.address));
});
