/**
 * Hostile model directories, built by the test itself in a temp dir: header, dtype, shape,
 * offset, index, config, symlink, non-regular-file and name-injection attacks, each with the
 * rejection code and the reason it must get. Most start from a valid tiny GPT-2 and change one
 * thing. `outside` is a directory beside the model that links point into; nothing may appear in it.
 */
import { join } from "node:path";
import { assemble, TINY_MODELS, writeTinyModel } from "../../../fixtures/mod.ts";
import type { RejectionCode } from "../../../eval/mod.ts";

/** Where a case builds. */
export interface CaseDirs {
  /** The model directory to check. */
  model: string;
  /** A directory beside it that links may point into. */
  outside: string;
}

/** One attack. */
export interface HostileCase {
  name: string;
  code: RejectionCode;
  reason: RegExp;
  build(d: CaseDirs): Promise<void>;
}

const BASE = TINY_MODELS.find((m) => m.name === "gpt2-f32-untied")!;
const SHARDED = TINY_MODELS.find((m) => m.name === "llama-f32-sharded")!;
const enc = new TextEncoder();
const MiB = 2 ** 20;

/** The base model's header as an object, and its data section. */
async function baseParts(dir: string): Promise<{ header: Record<string, any>; data: Uint8Array }> {
  const bytes = await Deno.readFile(join(dir, "model.safetensors"));
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
}

/** A safetensors file from raw header text and data. */
function raw(headerText: string, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const head = enc.encode(headerText);
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

/** Builds the base model, then lets `change` rewrite its header text and data. */
function headerCase(
  name: string,
  code: RejectionCode,
  reason: RegExp,
  change: (header: Record<string, any>, data: Uint8Array) => { text: string; data?: Uint8Array; length?: bigint },
): HostileCase {
  return {
    name,
    code,
    reason,
    async build({ model }) {
      await writeTinyModel(BASE, model);
      const { header, data } = await baseParts(model);
      const out = change(header, data);
      await Deno.writeFile(join(model, "model.safetensors"), raw(out.text, out.data ?? data, out.length));
    },
  };
}

/** Builds the base model, then rewrites config.json. */
function configCase(
  name: string,
  code: RejectionCode,
  reason: RegExp,
  text: (config: Record<string, unknown>) => string,
): HostileCase {
  return {
    name,
    code,
    reason,
    async build({ model }) {
      await writeTinyModel(BASE, model);
      const config = JSON.parse(await Deno.readTextFile(join(model, "config.json")));
      await Deno.writeTextFile(join(model, "config.json"), text(config));
    },
  };
}

/** Builds the base model, then replaces `file` by what `make` leaves there. */
function fileCase(
  name: string,
  code: RejectionCode,
  reason: RegExp,
  file: string,
  make: (path: string, d: CaseDirs) => Promise<void>,
): HostileCase {
  return {
    name,
    code,
    reason,
    async build(d) {
      await writeTinyModel(BASE, d.model);
      await Deno.remove(join(d.model, file));
      await make(join(d.model, file), d);
    },
  };
}

const mkfifo = async (path: string) => {
  const out = await new Deno.Command("mkfifo", { args: [path] }).output();
  if (!out.success) throw new Error(`mkfifo ${path} failed`);
};

/** The sharded base with its index rewritten. */
function indexCase(
  name: string,
  code: RejectionCode,
  reason: RegExp,
  change: (index: any, dir: string) => Promise<string> | string,
): HostileCase {
  return {
    name,
    code,
    reason,
    async build({ model }) {
      await writeTinyModel(SHARDED, model);
      const path = join(model, "model.safetensors.index.json");
      await Deno.writeTextFile(path, await change(JSON.parse(await Deno.readTextFile(path)), model));
    },
  };
}

/** `file` replaced by a FIFO, a directory, a link to /dev/zero and a dangling link: refused before it is opened. */
function notRegular(label: string, file: string): HostileCase[] {
  const f = file.replace(".", "\\.");
  return [
    fileCase(`${label} a FIFO`, "files", new RegExp(`${f} is a FIFO, not a regular file`), file, mkfifo),
    fileCase(
      `${label} a directory`,
      "files",
      new RegExp(`${f} is a directory, not a regular file`),
      file,
      (p) => Deno.mkdir(p),
    ),
    fileCase(
      `${label} linked to /dev/zero`,
      "files",
      new RegExp(`${f} is a link that leads outside the model directory \\(to /dev/zero\\)`),
      file,
      (p) => Deno.symlink("/dev/zero", p),
    ),
    fileCase(
      `${label} dangling link`,
      "files",
      new RegExp(`${f} is a link that leads nowhere`),
      file,
      (p) => Deno.symlink("nowhere", p),
    ),
  ];
}

const ESC = "\x1b[2J\x1b[H";

export const CORPUS: HostileCase[] = [
  // config.json
  ...notRegular("config", "config.json"),
  fileCase("config missing", "config", /config\.json is missing/, "config.json", async () => {}),
  configCase("config not JSON", "config", /config\.json is not valid JSON/, () => "{ n_embd: 8"),
  configCase("config an array", "config", /config\.json is not a JSON object/, () => "[1, 2, 3]"),
  configCase(
    "config over 1 MB",
    "config",
    /config\.json is \d+ bytes \(limit 1000000\)/,
    (c) => JSON.stringify({ ...c, pad: "x".repeat(1_100_000) }),
  ),
  configCase(
    "config repeated key",
    "config",
    /the key "n_embd" appears twice in one object/,
    (c) => JSON.stringify(c).replace("{", '{"n_embd": 4096,'),
  ),
  configCase(
    "config 400k-deep architectures",
    "config",
    /config\.json: nesting deeper than 16 levels/,
    (c) => JSON.stringify({ ...c, architectures: "@" }).replace('"@"', "[".repeat(400_000) + "]".repeat(400_000)),
  ),
  configCase(
    "config two architectures",
    "config",
    /must name exactly one architecture, got \["GPT2LMHeadModel","LlamaForCausalLM"\]/,
    (c) => JSON.stringify({ ...c, architectures: ["GPT2LMHeadModel", "LlamaForCausalLM"] }),
  ),
  configCase(
    "config unknown architecture",
    "architecture",
    /architecture "EvilForCausalLM" is not allowed/,
    (c) => JSON.stringify({ ...c, architectures: ["EvilForCausalLM"] }),
  ),
  configCase(
    "config architecture with escapes",
    "architecture",
    /architecture "\\u001b\[2J\\u001b\[HGPT2LMHeadModel" is not allowed/,
    (c) => JSON.stringify({ ...c, architectures: [`${ESC}GPT2LMHeadModel`] }),
  ),
  configCase("config absurd layer count", "config", /n_layer/, (c) => JSON.stringify({ ...c, n_layer: 1e9 })),
  configCase("config negative vocabulary", "config", /vocab_size/, (c) => JSON.stringify({ ...c, vocab_size: -5 })),
  configCase(
    "config huge string dimension",
    "config",
    /n_embd/,
    (c) => JSON.stringify({ ...c, n_embd: "9".repeat(500_000) }),
  ),
  fileCase(
    "config linked to /etc/passwd",
    "files",
    /config\.json is a link that leads outside the model directory/,
    "config.json",
    (p) => Deno.symlink("/etc/passwd", p),
  ),

  // safetensors headers
  headerCase("header longer than the file", "safetensors", /header length \d+ is longer than the file/, (h, data) => ({
    text: JSON.stringify(h),
    length: BigInt(JSON.stringify(h).length + data.length + 100),
  })),
  headerCase(
    "header length 2^62",
    "safetensors",
    /header length \d+ exceeds 16777216/,
    (h) => ({ text: JSON.stringify(h), length: 1n << 62n }),
  ),
  headerCase("header over 16 MiB", "safetensors", /header length \d+ exceeds 16777216/, (h) => ({
    text: JSON.stringify({ ...h, __metadata__: { pad: "x".repeat(17 * MiB) } }),
  })),
  {
    name: "file shorter than a header length",
    code: "safetensors",
    reason: /5 bytes is too short for a header/,
    async build({ model }) {
      await writeTinyModel(BASE, model);
      await Deno.writeFile(join(model, "model.safetensors"), new Uint8Array(5));
    },
  },
  {
    name: "header not UTF-8",
    code: "safetensors",
    reason: /header is not valid UTF-8/,
    async build({ model }) {
      await writeTinyModel(BASE, model);
      const path = join(model, "model.safetensors");
      const bytes = await Deno.readFile(path);
      bytes[8 + 3] = 0xff; // inside the first key: a byte that is never UTF-8
      await Deno.writeFile(path, bytes);
    },
  },
  headerCase(
    "header starting with a space",
    "safetensors",
    /must start with "\{"/,
    (h) => ({ text: ` ${JSON.stringify(h)}` }),
  ),
  headerCase("header repeated tensor key", "safetensors", /the key "transformer\.wte\.weight" appears twice/, (h) => {
    // A second entry for the same name with another dtype and shape over the same bytes.
    const e = h["transformer.wte.weight"];
    const other = { dtype: "F16", shape: [e.shape[0] * 2, e.shape[1]], data_offsets: e.data_offsets };
    return { text: JSON.stringify(h).replace("{", `{"transformer.wte.weight": ${JSON.stringify(other)},`) };
  }),
  headerCase(
    "header repeated dtype field",
    "safetensors",
    /the key "dtype" appears twice/,
    (h) => ({ text: JSON.stringify(h).replace('"dtype":"F32"', '"dtype":"F16","dtype":"F32"') }),
  ),
  headerCase("header 300k-deep dtype", "safetensors", /nesting deeper than 4 levels/, (h) => ({
    text: JSON.stringify(h).replace('"dtype":"F32"', `"dtype":${"[".repeat(300_000)}${"]".repeat(300_000)}`),
  })),
  headerCase(
    "dtype I64",
    "safetensors",
    /dtype "I64" is not one of F32, F16, BF16/,
    (h) => ({ text: JSON.stringify(h).replace('"dtype":"F32"', '"dtype":"I64"') }),
  ),
  headerCase(
    "dtype a 1 MB string",
    "safetensors",
    /dtype "x{70,}… is not one of F32, F16, BF16/,
    (h) => ({ text: JSON.stringify(h).replace('"dtype":"F32"', `"dtype":"${"x".repeat(MiB)}"`) }),
  ),
  headerCase(
    "shape of rank 9",
    "safetensors",
    /is not a list of at most 8 sizes/,
    (h) => ({ text: JSON.stringify(h).replace(/"shape":\[[^\]]*\]/, '"shape":[1,1,1,1,1,1,1,1,1]') }),
  ),
  headerCase(
    "shape negative",
    "safetensors",
    /shape \[-4\] is not a list/,
    (h) => ({ text: JSON.stringify(h).replace(/"shape":\[[^\]]*\]/, '"shape":[-4]') }),
  ),
  headerCase("offsets past the end", "safetensors", /offsets end at \d+, file has \d+ bytes/, (h, data) => {
    const [name] = Object.keys(h).filter((k) => k !== "__metadata__").sort((a, b) =>
      h[b].data_offsets[0] - h[a].data_offsets[0]
    );
    const e = h[name];
    e.data_offsets = [e.data_offsets[0] + 64, e.data_offsets[1] + 64];
    return { text: JSON.stringify(h), data };
  }),
  headerCase(
    "overlapping tensors",
    "safetensors",
    /begins at data offset \d+, the previous tensor ends at \d+/,
    (h) => {
      const names = Object.keys(h).filter((k) => k !== "__metadata__").sort((a, b) =>
        h[a].data_offsets[0] - h[b].data_offsets[0]
      );
      const [a, b] = [h[names[names.length - 2]], h[names[names.length - 1]]];
      const len = b.data_offsets[1] - b.data_offsets[0];
      b.data_offsets = [a.data_offsets[0], a.data_offsets[0] + len];
      return { text: JSON.stringify(h) };
    },
  ),
  headerCase(
    "gap between tensors",
    "safetensors",
    /begins at data offset \d+, the previous tensor ends at \d+/,
    (h, data) => {
      const last =
        Object.keys(h).filter((k) => k !== "__metadata__").sort((a, b) =>
          h[b].data_offsets[0] - h[a].data_offsets[0]
        )[0];
      h[last].data_offsets = h[last].data_offsets.map((o: number) => o + 4);
      const more = new Uint8Array(data.length + 4);
      more.set(data);
      return { text: JSON.stringify(h), data: more };
    },
  ),
  headerCase(
    "bytes after the last tensor",
    "safetensors",
    /the tensors cover \d+ bytes of a \d+-byte data section/,
    (h, data) => {
      const more = new Uint8Array(data.length + 1024);
      more.set(data);
      return { text: JSON.stringify(h), data: more };
    },
  ),
  headerCase(
    "span not shape × dtype",
    "safetensors",
    /needs \d+ bytes, offsets span \d+/,
    (h) => ({ text: JSON.stringify(h).replace('"dtype":"F32"', '"dtype":"F16"') }),
  ),
  headerCase(
    "unknown tensor with terminal escapes",
    "tensors",
    /unexpected tensor "\\u001b\[2J\\u001b\[Hmodel OK\\r" \(not part of this model\)/,
    (h, data) => {
      const extra = { dtype: "F32", shape: [1], data_offsets: [data.length, data.length + 4] };
      const more = new Uint8Array(data.length + 4);
      more.set(data);
      return { text: JSON.stringify({ ...h, [`${ESC}model OK\r`]: extra }), data: more };
    },
  ),
  headerCase("missing tensor", "tensors", /missing tensor "[^"]+" \(required by config\.json\)/, (h, data) => {
    const last = Object.keys(h).filter((k) =>
      k !== "__metadata__"
    ).sort((a, b) => h[b].data_offsets[0] - h[a].data_offsets[0])[0];
    const cut = h[last].data_offsets[0];
    delete h[last];
    return { text: JSON.stringify(h), data: data.subarray(0, cut) };
  }),
  headerCase("wrong shape", "tensors", /has shape \[\d+,\d+\], config\.json implies \[\d+,\d+\]/, (h) => {
    const name = Object.keys(h).find((k) => k.endsWith("wte.weight"))!;
    h[name].shape = [h[name].shape[1], h[name].shape[0]];
    return { text: JSON.stringify(h) };
  }),

  // model.safetensors as something else
  ...notRegular("weights", "model.safetensors"),
  fileCase(
    "weights linked outside",
    "files",
    /model\.safetensors is a link that leads outside the model directory/,
    "model.safetensors",
    async (p, d) => {
      await writeTinyModel(BASE, join(d.outside, "elsewhere"));
      await Deno.symlink(join(d.outside, "elsewhere", "model.safetensors"), p);
    },
  ),
  fileCase(
    "weights linked through ..",
    "files",
    /model\.safetensors is a link that leads outside/,
    "model.safetensors",
    async (p, d) => {
      await writeTinyModel(BASE, join(d.outside, "up"));
      await Deno.symlink(`../outside/up/model.safetensors`, p);
    },
  ),
  fileCase(
    "weights missing",
    "files",
    /model\.safetensors is missing \(a single-file model needs it\)/,
    "model.safetensors",
    async () => {},
  ),

  // the index
  indexCase(
    "index shard with ..",
    "safetensors",
    /the shard "\.\.\/outside\.safetensors" .* is not a plain \.safetensors file name/,
    (ix) => {
      ix.weight_map[Object.keys(ix.weight_map)[0]] = "../outside.safetensors";
      return JSON.stringify(ix);
    },
  ),
  indexCase("index absolute shard", "safetensors", /the shard "\/etc\/shadow\.safetensors" .* is not a plain/, (ix) => {
    ix.weight_map[Object.keys(ix.weight_map)[0]] = "/etc/shadow.safetensors";
    return JSON.stringify(ix);
  }),
  indexCase(
    "index shard name with a newline",
    "safetensors",
    /the shard "a\\nb\.safetensors" .* is not a plain/,
    (ix) => {
      ix.weight_map[Object.keys(ix.weight_map)[0]] = "a\nb.safetensors";
      return JSON.stringify(ix);
    },
  ),
  indexCase(
    "index over 10 MB",
    "safetensors",
    /model\.safetensors\.index\.json is \d+ bytes \(limit 10000000\)/,
    (ix) => JSON.stringify({ ...ix, pad: "x".repeat(11_000_000) }),
  ),
  indexCase(
    "index naming a missing shard",
    "files",
    /model-9-of-9\.safetensors is missing \(named by model\.safetensors\.index\.json\)/,
    (ix) => {
      ix.weight_map[Object.keys(ix.weight_map)[0]] = "model-9-of-9.safetensors";
      return JSON.stringify(ix);
    },
  ),
  indexCase(
    "index mapping a tensor to the wrong shard",
    "safetensors",
    /is in "[^"]+" but model\.safetensors\.index\.json maps it to "[^"]+"/,
    (ix) => {
      const names = Object.keys(ix.weight_map);
      const shards = [...new Set(Object.values(ix.weight_map))];
      const moved = names.find((n) => ix.weight_map[n] === shards[0])!;
      ix.weight_map[moved] = shards[1];
      return JSON.stringify(ix);
    },
  ),
  indexCase("index repeated key", "safetensors", /the key "[^"]+" appears twice/, (ix) => {
    const [first] = Object.entries(ix.weight_map);
    return JSON.stringify(ix).replace(
      '"weight_map":{',
      `"weight_map":{${JSON.stringify(first[0])}:${JSON.stringify(first[1])},`,
    );
  }),
  indexCase("index of 150k unknown tensors", "tensors", /lists an unexpected tensor "junk\.0"/, (ix) => {
    const junk: Record<string, string> = {};
    for (let i = 0; i < 150_000; i++) junk[`junk.${i}`] = "model-00001-of-00003.safetensors"; // 7 MB, under the cap
    return JSON.stringify({ ...ix, weight_map: { ...junk, ...ix.weight_map } });
  }),
  {
    // Five shards whose headers are each under the 16 MiB cap but together over the 64 MiB sum.
    name: "headers over 64 MiB in sum",
    code: "safetensors",
    reason: /the safetensors headers total over 67108864 bytes/,
    async build({ model }) {
      await writeTinyModel(SHARDED, model);
      const map: Record<string, string> = {};
      for (let i = 0; i < 5; i++) {
        const name = `pad-${i}.safetensors`;
        await Deno.writeFile(join(model, name), assemble({ __metadata__: { pad: "x".repeat(15 * MiB) } }, []));
        map[`model.layers.${i}.self_attn.rotary_emb.inv_freq`] = name; // a known buffer name, so only the sum stops it
      }
      const path = join(model, "model.safetensors.index.json");
      const ix = JSON.parse(await Deno.readTextFile(path));
      await Deno.writeTextFile(path, JSON.stringify({ ...ix, weight_map: { ...map, ...ix.weight_map } }));
    },
  },
  {
    // Three shards with 15 MiB headers of entries: the first unknown name ends it, nothing merged.
    name: "three 15 MiB headers of unknown tensors",
    code: "tensors",
    reason: /unexpected tensor "x0" \(not part of this model\)/,
    async build({ model }) {
      await writeTinyModel(SHARDED, model);
      const path = join(model, "model.safetensors.index.json");
      const ix = JSON.parse(await Deno.readTextFile(path));
      for (const shard of new Set(Object.values(ix.weight_map) as string[])) {
        const header: Record<string, unknown> = {};
        // About 55 bytes an entry: 280,000 entries make 15 MiB.
        for (let i = 0; i < 280_000; i++) header[`x${i}`] = { dtype: "F32", shape: [0], data_offsets: [0, 0] };
        await Deno.writeFile(join(model, shard), assemble(header, []));
      }
    },
  },

  // HF-cache layout: links into the blob store are fine, but the weights must share one place.
  {
    name: "shards split between the snapshot and the blob store",
    code: "files",
    reason: /the weight files resolve into 2 different places/,
    async build({ model }) {
      await writeTinyModel(SHARDED, model);
      // Turn `model` into …/models--evil--split/snapshots/<commit> with one shard linked from blobs.
      const repo = join(model, "..", "models--evil--split");
      const snapshot = join(repo, "snapshots", "0".repeat(40));
      await Deno.mkdir(join(repo, "blobs"), { recursive: true });
      await Deno.mkdir(join(repo, "snapshots"), { recursive: true });
      await Deno.rename(model, snapshot);
      await Deno.symlink(snapshot, model);
      const shard = (await Array.fromAsync(Deno.readDir(snapshot))).map((e) => e.name).find((n) =>
        n.endsWith(".safetensors")
      )!;
      await Deno.rename(join(snapshot, shard), join(repo, "blobs", "b1"));
      await Deno.symlink(`../../blobs/b1`, join(snapshot, shard));
    },
  },

  // non-finite weights (the scan reads the bytes)
  headerCase("NaN weight", "weights", /has a non-finite value at element 0/, (h, data) => {
    const first = Object.keys(h).filter((k) =>
      k !== "__metadata__"
    ).sort((a, b) => h[a].data_offsets[0] - h[b].data_offsets[0])[0];
    const copy = data.slice();
    new DataView(copy.buffer).setFloat32(h[first].data_offsets[0], NaN, true);
    return { text: JSON.stringify(h), data: copy };
  }),
];

/** Valid layouts that must still load: a single file, shards, and an HF cache snapshot linking to blobs. */
export const VALID: { name: string; build(d: CaseDirs): Promise<void> }[] = [
  { name: "single file", build: ({ model }) => writeTinyModel(BASE, model) },
  { name: "sharded", build: ({ model }) => writeTinyModel(SHARDED, model) },
  {
    name: "HF cache snapshot with blob links",
    async build({ model }) {
      const staging = `${model}-staging`;
      await writeTinyModel(BASE, staging);
      const repo = join(model, "..", "models--good--model");
      const snapshot = join(repo, "snapshots", "1".repeat(40));
      await Deno.mkdir(join(repo, "blobs"), { recursive: true });
      await Deno.mkdir(snapshot, { recursive: true });
      for (const name of ["config.json", "model.safetensors"]) {
        const blob = `blob-${name}`;
        await Deno.rename(join(staging, name), join(repo, "blobs", blob));
        await Deno.symlink(`../../blobs/${blob}`, join(snapshot, name));
      }
      await Deno.symlink(snapshot, model);
    },
  },
];
