/**
 * `bench --download`: the download path (`downloadHubFile` from a loopback server into the HF
 * cache layout) timed against a plain file copy of the same bytes, and a download cut at half
 * and resumed.
 */
import { benchDownload, type DownloadBench } from "../../src/mod.ts";

/** Times a download of `mib` MiB and prints the rates; with `json`, also the raw timings. */
export async function benchDownloadPath(mib: number, json: boolean): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: ".cache", prefix: "bench-download-" }).catch(async () => {
    await Deno.mkdir(".cache", { recursive: true });
    return await Deno.makeTempDir({ dir: ".cache", prefix: "bench-download-" });
  });
  try {
    const r = await benchDownload(dir, mib * 2 ** 20);
    printDownload(r);
    if (json) console.log(JSON.stringify(r));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The rates, and how far the download path falls behind a plain copy. */
function printDownload(r: DownloadBench): void {
  const mbs = (s: number) => `${(r.bytes / 2 ** 20 / s).toFixed(0)} MiB/s`;
  console.log(
    `download path: ${(r.bytes / 2 ** 20).toFixed(0)} MiB over loopback into the HF cache layout (sha256 checked)`,
  );
  console.log(`  file copy (Deno.copyFile)          ${r.copySeconds.toFixed(2)} s  ${mbs(r.copySeconds)}`);
  console.log(`  loopback fetch, bytes dropped      ${r.fetchSeconds.toFixed(2)} s  ${mbs(r.fetchSeconds)}`);
  console.log(
    `  downloadHubFile, cold              ${r.downloadSeconds.toFixed(2)} s  ${mbs(r.downloadSeconds)}  (${
      (r.downloadSeconds / r.copySeconds).toFixed(2)
    }× the copy)`,
  );
  console.log(
    `  cut at half, resumed               ${r.cutSeconds.toFixed(2)} s  ${
      (r.cutFetchedBytes / 2 ** 20).toFixed(0)
    } MiB crossed in all (${(100 * (r.cutFetchedBytes / r.bytes - 1)).toFixed(2)}% more than the file)`,
  );
}
