/**
 * A model directory on this machine as `ModelFiles`. Only names the engine reads are looked at
 * (config.json, adapter_config.json, the index, *.safetensors), and the optional files of a full
 * model, which it only sizes for the byte cap (file_set.ts). Each must be a regular file; a symbolic link is
 * followed only when it resolves inside the model directory, or inside the blob directory of the
 * same repo in a Hugging Face cache (`models--ns--name/snapshots/<commit>/x` → `../../blobs/<etag>`).
 * Everything is decided before any file is opened, so a FIFO or a device is never opened (opening
 * a FIFO blocks for ever; a device such as /dev/zero reports size 0 and never ends).
 */
import { join, sep } from "node:path";
import { OPTIONAL_MODEL_FILES } from "./file_set.ts";
import { FileRefused, type ModelFiles } from "./model_files.ts";

/** The names the engine may read. */
const READABLE = /^(config\.json|adapter_config\.json|model\.safetensors\.index\.json|[A-Za-z0-9._-]+\.safetensors)$/;
/** Further names it may size: the byte cap counts them (file_set.ts). */
const SIZED: ReadonlySet<string> = new Set(OPTIONAL_MODEL_FILES);

/** Most directory entries looked at (a model has a handful). */
const MAX_ENTRIES = 100_000;

/** One readable file: where it really is, or why it is refused. */
type Entry = { real: string; size: number; root: string } | { refused: string };

/** A local model directory, with the real path and root of each file for the compiler. */
export interface LocalModelFiles extends ModelFiles {
  dir: string;
  /** The real path of a file `size` accepted. */
  realPath(name: string): string;
  /** The place (model directory or blob directory) that holds the real file. */
  rootOf(name: string): string;
}

/** Looks at `dir` once; `extraRoots` are further directories links may resolve into. */
export async function localModelFiles(
  dir: string,
  o: { label?: string; extraRoots?: string[] } = {},
): Promise<LocalModelFiles> {
  const realDir = await Deno.realPath(dir);
  const roots = [
    realDir,
    ...hfBlobDir(realDir),
    ...await Promise.all((o.extraRoots ?? []).map((r) => Deno.realPath(r))),
  ];
  const entries = new Map<string, Entry>();
  let seen = 0;
  for await (const e of Deno.readDir(dir)) {
    if (++seen > MAX_ENTRIES) throw new FileRefused(".", `the model directory has more than ${MAX_ENTRIES} entries`);
    if (!READABLE.test(e.name) && !SIZED.has(e.name)) continue;
    entries.set(e.name, await look(join(dir, e.name), e.name, roots));
  }
  const accepted = (name: string) => {
    const e = entries.get(name);
    if (!e) throw new FileRefused(name, `${name} is missing`);
    if ("refused" in e) throw new FileRefused(name, e.refused);
    return e;
  };
  return {
    dir,
    label: o.label ?? dir.split(sep).filter(Boolean).at(-1) ?? dir,
    size(name) {
      const e = entries.get(name);
      if (!e) return undefined;
      if ("refused" in e) throw new FileRefused(name, e.refused);
      return e.size;
    },
    async read(name, start, end) {
      const e = accepted(name);
      if (start < 0 || end > e.size || start > end) {
        throw new RangeError(`${name}: bytes ${start}–${end} are outside its ${e.size} bytes`);
      }
      using f = await Deno.open(e.real, { read: true });
      const out = new Uint8Array(end - start);
      await f.seek(start, Deno.SeekMode.Start);
      for (let at = 0; at < out.length;) {
        const n = await f.read(out.subarray(at));
        if (n === null) throw new RangeError(`${name} ended at byte ${start + at}, before ${end}`);
        at += n;
      }
      return out;
    },
    realPath: (name) => accepted(name).real,
    rootOf: (name) => accepted(name).root,
  };
}

async function look(path: string, name: string, roots: string[]): Promise<Entry> {
  const link = await Deno.lstat(path);
  let real = path;
  if (link.isSymlink) {
    try {
      real = await Deno.realPath(path);
    } catch {
      return { refused: `${name} is a link that leads nowhere` };
    }
  } else real = join(roots[0], name);
  const root = roots.find((r) => real === r || real.startsWith(r + sep));
  if (!root) return { refused: `${name} is a link that leads outside the model directory (to ${real})` };
  const info = link.isSymlink ? await Deno.stat(real) : link;
  if (!info.isFile) {
    const kind = info.isDirectory
      ? "a directory"
      : info.isFifo
      ? "a FIFO"
      : info.isCharDevice
      ? "a character device"
      : info.isBlockDevice
      ? "a block device"
      : info.isSocket
      ? "a socket"
      : "not a regular file";
    return { refused: `${name} is ${kind}, not a regular file` };
  }
  return { real, size: info.size, root };
}

/** In a Hugging Face cache snapshot, the repo's blob directory (where its links point). */
function hfBlobDir(realDir: string): string[] {
  const m = /^(.*[\\/]models--[^\\/]+)[\\/]snapshots[\\/][^\\/]+$/.exec(realDir);
  return m ? [join(m[1], "blobs")] : [];
}
