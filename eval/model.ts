/**
 * Loading a Hugging Face model directory for evaluation: the files read as untrusted
 * (files/local_files.ts), every check that needs no tensor bytes (files/check_files.ts), then a
 * scan for non-finite weights. Nothing here runs or trusts miner-supplied code; every failure is
 * a `ModelRejected` with a reason.
 */
import type { Architecture, ModelSpec } from "./architectures/mod.ts";
import { checkModelFiles, FileRefused, type LocalModelFiles, localModelFiles, type ModelLimits } from "./files/mod.ts";
import { ModelRejected, rejectAs } from "./rejected.ts";
import type { WeightRef } from "./safetensors/mod.ts";
import { scanFinite } from "./safetensors/finite.ts";

/** A model whose files passed every check and can be compiled. */
export interface CheckedModel {
  dir: string;
  /** A short label for messages (the directory name). */
  label: string;
  arch: Architecture;
  spec: ModelSpec;
  /** The files, for reading and resolving (every weight file is a regular file inside an allowed place). */
  files: LocalModelFiles;
  /** The safetensors file names. */
  weightFiles: string[];
  /** The one directory holding every weight file's real path: where the graph is written. */
  graphDir: string;
  /** Every tensor in the files. */
  tensors: Map<string, WeightRef>;
  /** Canonical parameter name → its tensor in the files. */
  params: Map<string, WeightRef>;
  parameterCount: number;
  parameterBytes: number;
}

/** Options for `checkModel`. */
export interface CheckOptions {
  limits?: ModelLimits;
  /** Read every weight to reject NaN/Inf (default true). */
  scanWeights?: boolean;
  /** A label for messages (default: the directory name). */
  label?: string;
}

/** Reads config.json and the safetensors headers, and checks them against each other and `limits`. */
export async function checkModel(dir: string, options: CheckOptions = {}): Promise<CheckedModel> {
  let files: LocalModelFiles;
  try {
    files = await localModelFiles(dir, { label: options.label });
  } catch (e) {
    const label = options.label ?? dir;
    if (e instanceof FileRefused) throw new ModelRejected("files", `${label}: ${e.message}`, { cause: e });
    throw new ModelRejected("files", `${label}: cannot read the model directory (${(e as Error).message})`, {
      cause: e,
    });
  }
  const label = files.label;
  const checked = await checkModelFiles(files, options.limits);
  const weightFiles = checked.headers.map((h) => h.file);
  const roots = new Set(weightFiles.map((f) => files.rootOf(f)));
  if (roots.size > 1) {
    throw new ModelRejected(
      "files",
      `${label}: the weight files resolve into ${roots.size} different places (${
        [...roots].join(", ")
      }); they must share one`,
    );
  }
  const params = new Map<string, WeightRef>();
  for (const [canonical, key] of checked.match.keys) params.set(canonical, checked.tensors.get(key)!);
  if (options.scanWeights ?? true) {
    await rejectAs("weights", label, () => scanFinite((name) => files.realPath(name), [...params.values()]));
  }
  return {
    dir,
    label,
    arch: checked.arch,
    spec: checked.spec,
    files,
    weightFiles,
    graphDir: [...roots][0],
    tensors: checked.tensors,
    params,
    parameterCount: checked.match.parameterCount,
    parameterBytes: checked.match.parameterBytes,
  };
}
