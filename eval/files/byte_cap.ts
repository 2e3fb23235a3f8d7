/**
 * The cap on a submission's bytes: one rule, checked before download on a store's listing
 * (src/hub/inspect.ts) and by the engine on the files it is given (check_files.ts for a full
 * model, adapters/check_adapter.ts for an adapter).
 */
import { ModelRejected } from "../rejected.ts";

/**
 * Refuses `bytes` over `maxBytes` (no cap when undefined) as a "limits" rejection of `label`.
 *
 * What `bytes` must count, on every path: the bytes of the model's hashed file set as the Hub
 * lists them, i.e. every file a validator downloads and hashes. For a full model that is
 * config.json, the index and its shards (or model.safetensors) and the optional tokenizer and
 * generation files present (file_set.ts: `fullModelFiles`); for an adapter, its two files. SN9
 * caps the sizes the Hub lists for the committed revision before downloading it; this validator
 * downloads only the hashed set, so that set is what is capped. A local directory counts the
 * same files' sizes on disk, which equal the listing's once a sha256-checked download is done, so
 * a model that passes before download passes after it, and a miner's local check agrees with the
 * validators'.
 */
export function checkByteCap(
  label: string,
  bytes: number,
  maxBytes: number | undefined,
  o: {
    /** What was counted, for the message (default "the model files"). */
    files?: string;
    /** Set before download: the message says that nothing was downloaded. */
    beforeDownload?: boolean;
  } = {},
): void {
  if (maxBytes !== undefined && bytes > maxBytes) {
    throw new ModelRejected(
      "limits",
      `${label}: ${o.files ?? "the model files"} total ${bytes} bytes, over the cap ${maxBytes}${
        o.beforeDownload ? "; not downloaded" : ""
      }`,
    );
  }
}
