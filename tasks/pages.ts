/**
 * `deno task pages (--seed <64 hex> | --block-hash <0x…>) [--dataset falcon] [--pages N]
 *   [--tokenizer gpt2] [--sequence-length 1024] [--server URL | --offline] [--json]`:
 * the page plan a validator would evaluate for that seed, fetched, tokenized and packed, with
 * token counts and the stream hash. `--offline` serves the bundled pages from a loopback stand-in.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  DATASETS,
  DatasetsServerClient,
  DEFAULT_DATASETS_SERVER,
  loadTokenizer,
  PageCache,
  prepareEvalData,
  seedFromBlockHash,
  seedFromHex,
  toHex,
} from "../src/mod.ts";
import { startDatasetsServer } from "../src/mod.ts";

const { values: f } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string" },
    "block-hash": { type: "string" },
    dataset: { type: "string", default: "falcon" },
    pages: { type: "string", default: "4" },
    tokenizer: { type: "string", default: "gpt2" },
    "sequence-length": { type: "string", default: "1024" },
    server: { type: "string", default: DEFAULT_DATASETS_SERVER },
    offline: { type: "boolean", default: false },
    "cache-dir": { type: "string", default: ".cache" },
    json: { type: "boolean", default: false },
  },
});

let standIn: Awaited<ReturnType<typeof startDatasetsServer>> | undefined;
try {
  if (!f.seed === !f["block-hash"]) {
    throw new TypeError("give exactly one of --seed <64 hex digits> or --block-hash <0x…>");
  }
  const seed = f.seed ? seedFromHex(f.seed) : seedFromBlockHash(f["block-hash"]!);
  if (!(f.dataset in DATASETS)) throw new RangeError(`--dataset must be one of ${Object.keys(DATASETS).join(", ")}`);
  const pages = Number(f.pages), sequenceLength = Number(f["sequence-length"]);
  if (!Number.isInteger(pages) || pages < 1) throw new RangeError("--pages must be a positive integer");
  if (f.offline) standIn = await startDatasetsServer();
  const client = new DatasetsServerClient({
    baseUrl: standIn?.url ?? f.server,
    cache: new PageCache(join(f["cache-dir"], "pages", standIn ? "offline" : "live")),
  });
  const tokenizer = await loadTokenizer(f.tokenizer, { cacheDir: f["cache-dir"] });
  const start = performance.now();
  const { manifest } = await prepareEvalData({
    client,
    tokenizer,
    tasks: [{ id: f.dataset, dataset: f.dataset, pages, weight: 1 }],
    sequenceLength,
    seed,
    blockHash: f["block-hash"],
  });
  const seconds = (performance.now() - start) / 1000;
  if (f.json) {
    console.log(JSON.stringify(manifest));
  } else {
    const t = manifest.tasks[0];
    console.log(`seed ${toHex(seed)}${f["block-hash"] ? ` (SHA-256 of block hash ${f["block-hash"]})` : ""}`);
    console.log(`${t.hfDataset} [${t.split}] via ${standIn ? "the bundled offline stand-in" : f.server}`);
    for (const p of t.pages) console.log(`  page config=${p.config} offset=${p.offset} length=${p.length}`);
    for (const r of t.replacedPages) {
      console.log(`  replaced config=${r.page.config} offset=${r.page.offset}: ${r.reason}`);
    }
    console.log(
      `${t.documents} documents → ${t.tokens} tokens (${tokenizer.name}, EOS after each) → ${t.sequences} sequences × ${t.sequenceLength}, ${t.droppedTokens} tail tokens dropped`,
    );
    console.log(`packed stream SHA-256 ${t.streamSha256}`);
    console.log(`fetched, tokenized and packed in ${seconds.toFixed(2)} s`);
  }
} catch (e) {
  console.error(`pages: ${(e as Error).message}`);
  Deno.exitCode = 1;
} finally {
  await standIn?.close();
}
