/**
 * Loading a PEFT LoRA adapter for evaluation on top of a checked base model: the files read as
 * untrusted (files/local_files.ts), every header check (check_adapter.ts), the weights read once
 * into memory (an adapter is small; its tensors are inlined into the base's graph, since ONNX
 * Runtime opens external data only beside the graph) and scanned for non-finite values.
 */
import { FileRefused, type LocalModelFiles, localModelFiles } from "../files/mod.ts";
import type { CheckedModel } from "../model.ts";
import { ModelRejected, rejectAs } from "../rejected.ts";
import { scanFinite } from "../safetensors/finite.ts";
import { ADAPTER_WEIGHTS, type AdapterChecked, type AdapterLimits, checkAdapterFiles } from "./check_adapter.ts";

/** An adapter whose files passed every check, with its weights file in memory. */
export interface CheckedAdapter extends AdapterChecked {
  dir: string;
  label: string;
  files: LocalModelFiles;
  /** adapter_model.safetensors, whole. */
  bytes: Uint8Array;
}

/** Reads and checks the adapter in `dir` against `base`; throws `ModelRejected`. */
export async function checkAdapter(
  dir: string,
  base: CheckedModel,
  o: { limits?: AdapterLimits; label?: string } = {},
): Promise<CheckedAdapter> {
  let files: LocalModelFiles;
  try {
    files = await localModelFiles(dir, { label: o.label });
  } catch (e) {
    const label = o.label ?? dir;
    const why = e instanceof FileRefused ? e.message : `cannot read the adapter directory (${(e as Error).message})`;
    throw new ModelRejected("files", `${label}: ${why}`, { cause: e });
  }
  const checked = await checkAdapterFiles(files, base, o.limits);
  const bytes = await rejectAs("files", files.label, () => files.read(ADAPTER_WEIGHTS, 0, checked.header.fileSize));
  const refs = [...checked.layers.values()].flatMap((l) => [l.a, l.b, ...(l.magnitude ? [l.magnitude] : [])]);
  await rejectAs("weights", files.label, () => scanFinite(() => files.realPath(ADAPTER_WEIGHTS), refs));
  return { ...checked, dir, label: files.label, files, bytes };
}
