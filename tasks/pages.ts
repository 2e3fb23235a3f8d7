/**
 * `deno task pages`: the page plan a validator would evaluate for a seed (or a block hash),
 * fetched, tokenized and packed, with token counts and the packed stream's hash. With `--offline`
 * the bundled pages are served in process.
 */
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
  startDatasetsServer,
  toHex,
} from "../src/mod.ts";
import { defineCommand, flags, main, progress, UsageError } from "./cli/mod.ts";

export const command = defineCommand({
  name: "pages",
  summary: "Shows the pages a validator would evaluate for a seed: plan, documents, tokens, sequences.",
  flags: {
    seed: flags.string("the step's seed, 64 hex digits", { placeholder: "<hex>" }),
    "block-hash": flags.string("a block hash; the seed is its SHA-256", { placeholder: "<0x…>" }),
    dataset: flags.choice("the dataset", Object.keys(DATASETS), { default: "falcon" }),
    pages: flags.int("pages to draw", { default: 4, min: 1, max: 1000 }),
    tokenizer: flags.string("the tokenizer", { default: "gpt2" }),
    "sequence-length": flags.int("tokens per packed sequence", { default: 1024, min: 2, max: 1 << 20 }),
    server: flags.string("the datasets-server", { default: DEFAULT_DATASETS_SERVER, placeholder: "<url>" }),
    offline: flags.boolean("serve the bundled pages instead"),
    "cache-dir": flags.path("page and tokenizer cache", { default: ".cache" }),
    json: flags.boolean("print the manifest as one JSON object"),
  },
  examples: [
    "deno task pages --offline --seed " + "ab".repeat(32),
    {
      line: "deno task pages --block-hash 0x" + "12".repeat(32) + " --dataset fineweb-edu-2 --pages 2",
      checkOnly: "reads the real datasets-server",
    },
  ],
  check({ flags: f }) {
    if (!f.seed === !f["block-hash"]) {
      throw new UsageError("give exactly one of --seed <64 hex digits> or --block-hash <0x…>");
    }
    seedOf(f);
    if (!/^https?:\/\/\S+$/.test(f.server)) {
      throw new UsageError(`--server must be an http(s) URL (got ${JSON.stringify(f.server).slice(0, 60)})`);
    }
  },
  async run({ flags: f }) {
    const seed = seedOf(f);
    const standIn = f.offline ? await startDatasetsServer() : undefined;
    try {
      const client = new DatasetsServerClient({
        baseUrl: standIn?.url ?? f.server,
        cache: new PageCache(join(f["cache-dir"], "pages", standIn ? "bundled" : new URL(f.server).host)),
      });
      const tokenizer = await loadTokenizer(f.tokenizer, { cacheDir: f["cache-dir"] });
      const start = performance.now();
      const bar = progress({ quiet: f.json, intervalMs: 5_000 });
      const { manifest } = await prepareEvalData({
        onPage: (_, fetched, wanted) =>
          bar.update(`fetching page ${fetched}/${wanted}, ${((performance.now() - start) / 1000).toFixed(0)} s`),
        client,
        tokenizer,
        tasks: [{ id: f.dataset, dataset: f.dataset, pages: f.pages, weight: 1 }],
        sequenceLength: f["sequence-length"],
        seed,
        blockHash: f["block-hash"],
      });
      bar.done();
      const seconds = (performance.now() - start) / 1000;
      if (f.json) return void console.log(JSON.stringify(manifest));
      const t = manifest.tasks[0];
      console.log(`seed ${toHex(seed)}${f["block-hash"] ? ` (SHA-256 of block hash ${f["block-hash"]})` : ""}`);
      console.log(`${t.hfDataset} [${t.split}] via ${standIn ? "the bundled pages" : f.server}`);
      for (const p of t.pages) console.log(`  page config=${p.config} offset=${p.offset} length=${p.length}`);
      for (const r of t.replacedPages) {
        console.log(`  replaced config=${r.page.config} offset=${r.page.offset}: ${r.reason}`);
      }
      console.log(
        `${t.documents} documents → ${t.tokens} tokens (${tokenizer.name}, EOS after each) → ${t.sequences} sequences × ${t.sequenceLength}, ${t.droppedTokens} tail tokens dropped`,
      );
      console.log(`packed stream SHA-256 ${t.streamSha256}`);
      console.log(`fetched, tokenized and packed in ${seconds.toFixed(2)} s`);
    } finally {
      await standIn?.close();
    }
  },
});

/** The seed the flags give. Throws `UsageError`. */
function seedOf(f: { seed?: string; "block-hash"?: string }): Uint8Array {
  try {
    return f.seed ? seedFromHex(f.seed) : seedFromBlockHash(f["block-hash"]!);
  } catch (e) {
    throw new UsageError(`${f.seed ? "--seed" : "--block-hash"}: ${(e as Error).message}`);
  }
}

if (import.meta.main) await main(command);
