/**
 * `bench --data`: the data path a validator step takes (fetch, tokenize, pack) over the bundled
 * Falcon pages, timed stage by stage.
 */
import {
  benchDataPipeline,
  type DataPipelineTiming,
  DatasetsServerClient,
  loadTokenizer,
  seedFromHex,
  startDatasetsServer,
} from "../../src/mod.ts";

/** Times `pages` Falcon pages through gpt2 tokenization and packing into `sequenceLength` rows. */
export async function benchDataPath(pages: number, sequenceLength: number): Promise<void> {
  // The bundled pages through the offline stand-in: the fetch is loopback, the rest is real work.
  const server = await startDatasetsServer();
  try {
    const tokenizer = await loadTokenizer("gpt2", { cacheDir: ".cache" });
    const r = await benchDataPipeline({
      client: new DatasetsServerClient({ baseUrl: server.url, token: "" }),
      tokenizer,
      dataset: "falcon",
      pages,
      sequenceLength,
      seed: seedFromHex("5a".repeat(32)),
    });
    printDataPipeline(r, sequenceLength);
  } finally {
    await server.close();
  }
}

/** Each stage's time, and the tokenize + pack rate. */
function printDataPipeline(r: DataPipelineTiming, sequenceLength: number): void {
  console.log(
    `data pipeline: ${r.pages} Falcon pages, ${r.documents} documents, ${(r.characters / 1e6).toFixed(1)} M characters`,
  );
  console.log(`  fetch (loopback stand-in)   ${r.fetchMs.toFixed(0)} ms`);
  console.log(`  tokenize (gpt2)             ${r.tokenizeMs.toFixed(0)} ms → ${r.tokens} tokens`);
  console.log(`  pack into ${r.sequences} × ${sequenceLength}    ${r.packMs.toFixed(0)} ms`);
  console.log(`  tokenize + pack             ${r.tokensPerSecond.toFixed(0)} tokens/s`);
}
