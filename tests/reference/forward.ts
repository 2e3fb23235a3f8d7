/**
 * An independent reference for the engine: a plain TypeScript forward pass in float64 with
 * loops, written from the Hugging Face modelling code's definitions (GPT-2, the Llama family with
 * Qwen3's q/k norms, every RoPE type),
 * reading config.json and safetensors on its own. Slow, obvious, and shares no code with eval/.
 */
import { join } from "node:path";
import { mergeLora } from "./lora_merge.ts";

export type Weights = Map<string, { shape: number[]; data: Float64Array }>;
type Vec = Float64Array;

/** Reads every tensor of a model directory (single file or sharded) as float64. */
export async function readWeights(dir: string): Promise<Weights> {
  const files: string[] = [];
  try {
    const index = JSON.parse(await Deno.readTextFile(join(dir, "model.safetensors.index.json")));
    files.push(...new Set<string>(Object.values(index.weight_map)));
  } catch {
    files.push("model.safetensors");
  }
  const out: Weights = new Map();
  for (const f of files) for (const [name, t] of await readSafetensors(join(dir, f))) out.set(name, t);
  return out;
}

/** Every tensor of one safetensors file as float64. */
export async function readSafetensors(path: string): Promise<Weights> {
  const out: Weights = new Map();
  const bytes = await Deno.readFile(path);
  const view = new DataView(bytes.buffer);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  for (const [name, e] of Object.entries<any>(header)) {
    if (name === "__metadata__") continue;
    const start = 8 + n + e.data_offsets[0];
    const count = e.shape.reduce((a: number, b: number) => a * b, 1);
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      if (e.dtype === "F32") data[i] = view.getFloat32(start + 4 * i, true);
      else if (e.dtype === "BF16") data[i] = bf16(view.getUint16(start + 2 * i, true));
      else data[i] = f16(view.getUint16(start + 2 * i, true));
    }
    out.set(name, { shape: e.shape, data });
  }
  return out;
}

function bf16(bits: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, bits << 16);
  return b.getFloat32(0);
}

function f16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1, exp = (bits >> 10) & 0x1f, frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Per-sequence mean next-token cross-entropy and the argmax token after the last position. */
export async function referenceForward(
  dir: string,
  sequences: number[][],
  /** PEFT LoRA/DoRA adapter directories, merged into the weights first, in order (lora_merge.ts). */
  o: { adapter?: string; adapters?: string[] } = {},
): Promise<{ losses: number[]; argmax: number[] }> {
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const weights = await readWeights(dir);
  for (const adapter of [...(o.adapter ? [o.adapter] : []), ...(o.adapters ?? [])]) await mergeLora(weights, adapter);
  const arch = config.architectures[0];
  const forward = arch === "GPT2LMHeadModel"
    ? gpt2Logits
    : arch.startsWith("Gemma")
    ? gemmaLogits
    : arch === "Phi3ForCausalLM"
    ? phi3Logits
    : arch === "GPTNeoXForCausalLM"
    ? neoxLogits
    : arch === "PhiForCausalLM"
    ? phiLogits
    : arch === "GPTJForCausalLM"
    ? gptjLogits
    : arch === "FalconForCausalLM"
    ? falconLogits
    : arch === "BartForCausalLM"
    ? bartLogits
    : llamaLogits;
  const losses: number[] = [], argmax: number[] = [];
  for (const ids of sequences) {
    const logits = forward(config, weights, ids);
    let total = 0;
    for (let t = 0; t + 1 < ids.length; t++) total += logSumExp(logits[t]) - logits[t][ids[t + 1]];
    losses.push(total / (ids.length - 1));
    const last = logits[ids.length - 1];
    argmax.push(last.indexOf(Math.max(...last)));
  }
  return { losses, argmax };
}

function gpt2Logits(c: any, W: Weights, ids: number[]): Vec[] {
  const prefix = W.has("transformer.wte.weight") ? "transformer." : "";
  const w = (n: string) => W.get(prefix + n)!.data;
  const C = c.n_embd, H = c.n_head, D = C / H, eps = c.layer_norm_epsilon ?? 1e-5;
  const inner = c.n_inner ?? 4 * C, T = ids.length;
  const act = (c.activation_function ?? "gelu_new") === "gelu" ? geluErf : geluTanh;
  let x = ids.map((id, t) => add(row(w("wte.weight"), id, C), row(w("wpe.weight"), t, C)));
  for (let l = 0; l < c.n_layer; l++) {
    const p = `h.${l}.`;
    const a = x.map((v) => layerNorm(v, w(p + "ln_1.weight"), w(p + "ln_1.bias"), eps));
    const qkv = a.map((v) => add(matVecIn(v, w(p + "attn.c_attn.weight"), 3 * C), w(p + "attn.c_attn.bias")));
    const q = qkv.map((v) => v.slice(0, C)), k = qkv.map((v) => v.slice(C, 2 * C)), vv = qkv.map((v) => v.slice(2 * C));
    const y = attention(q, k, vv, H, H, D, T, null);
    x = x.map((v, t) => add(v, add(matVecIn(y[t], w(p + "attn.c_proj.weight"), C), w(p + "attn.c_proj.bias"))));
    const m = x.map((v) => layerNorm(v, w(p + "ln_2.weight"), w(p + "ln_2.bias"), eps));
    x = x.map((v, t) => {
      const hdn = add(matVecIn(m[t], w(p + "mlp.c_fc.weight"), inner), w(p + "mlp.c_fc.bias")).map(act);
      return add(v, add(matVecIn(hdn, w(p + "mlp.c_proj.weight"), C), w(p + "mlp.c_proj.bias")));
    });
  }
  const head = c.tie_word_embeddings === false ? W.get("lm_head.weight")!.data : w("wte.weight");
  return x.map((v) => matVecOut(layerNorm(v, w("ln_f.weight"), w("ln_f.bias"), eps), head, c.vocab_size));
}

/**
 * Inverse frequencies and the cos/sin scale of a config's RoPE, for a sequence of `T` tokens,
 * written from transformers' modeling_rope_utils definitions (default, linear, dynamic, llama3,
 * yarn, longrope), reading `rope_parameters` (v5) or `rope_scaling` + `rope_theta`.
 */
function ropeOf(c: any, headDim: number, T: number): { freqs: number[]; scale: number } {
  const p = c.rope_parameters ?? c.rope_scaling ?? {};
  const theta = p.rope_theta ?? c.rope_theta ?? 10000;
  const D = Math.floor(headDim * (p.partial_rotary_factor ?? c.partial_rotary_factor ?? 1)); // rotated dimensions
  const type = p.rope_type ?? p.type ?? "default";
  const base = (th: number) => Array.from({ length: D / 2 }, (_, i) => Math.pow(th, (-2 * i) / D));
  const plain = base(theta);
  if (type === "default") return { freqs: plain, scale: 1 };
  if (type === "linear") return { freqs: plain.map((f) => f / p.factor), scale: 1 };
  if (type === "dynamic") {
    const max = c.max_position_embeddings, len = Math.max(T, max);
    return { freqs: base(theta * Math.pow((p.factor * len) / max - (p.factor - 1), D / (D - 2))), scale: 1 };
  }
  if (type === "llama3") {
    const old = p.original_max_position_embeddings;
    return {
      freqs: plain.map((f) => {
        const wavelength = (2 * Math.PI) / f;
        if (wavelength < old / p.high_freq_factor) return f;
        if (wavelength > old / p.low_freq_factor) return f / p.factor;
        const s = (old / wavelength - p.low_freq_factor) / (p.high_freq_factor - p.low_freq_factor);
        return (1 - s) * (f / p.factor) + s * f;
      }),
      scale: 1,
    };
  }
  const original = p.original_max_position_embeddings ?? c.original_max_position_embeddings ??
    c.max_position_embeddings;
  const factor = p.factor ?? c.max_position_embeddings / original;
  if (type === "yarn") {
    const m = (x: number, k = 1) => (x <= 1 ? 1 : 0.1 * k * Math.log(x) + 1);
    const scale = p.attention_factor ??
      (p.mscale && p.mscale_all_dim ? m(factor, p.mscale) / m(factor, p.mscale_all_dim) : m(factor));
    const dimFor = (rotations: number) => (D * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
    let lo = dimFor(p.beta_fast || 32), hi = dimFor(p.beta_slow || 1);
    if (p.truncate ?? true) [lo, hi] = [Math.floor(lo), Math.ceil(hi)];
    lo = Math.max(lo, 0);
    hi = Math.min(hi, D - 1);
    if (lo === hi) hi += 0.001;
    return {
      freqs: plain.map((f, i) => {
        const keep = 1 - Math.min(1, Math.max(0, (i - lo) / (hi - lo))); // share of the unscaled frequency
        return f * keep + (f / factor) * (1 - keep);
      }),
      scale,
    };
  }
  if (type === "longrope") {
    const ext: number[] = T > original ? p.long_factor : p.short_factor;
    const scale = p.attention_factor ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
    return { freqs: plain.map((f, i) => f / ext[i]), scale };
  }
  throw new Error(`reference: rope type ${type}`);
}

/**
 * Rotary positions for a config: each head's first rotated dimensions (all, unless
 * partial_rotary_factor) turned in the rotate-half convention, cos and sin scaled by the type's factor.
 */
function rotary(c: any, D: number, T: number): (v: Vec, heads: number, t: number) => Vec {
  const { freqs, scale } = ropeOf(c, D, T);
  const half = freqs.length;
  return (v, heads, t) => {
    const out = Float64Array.from(v);
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < half; i++) {
        const cos = Math.cos(t * freqs[i]) * scale, sin = Math.sin(t * freqs[i]) * scale;
        const a = v[h * D + i], b = v[h * D + i + half];
        out[h * D + i] = a * cos - b * sin;
        out[h * D + i + half] = b * cos + a * sin;
      }
    }
    return out;
  };
}

/** The sliding window of layer `l`, or null (Mistral: all layers; Qwen2/3: layer_types or max_window_layers). */
function windowOf(c: any, l: number): number | null {
  const arch = c.architectures[0];
  if (arch === "MistralForCausalLM") return c.sliding_window ?? null;
  if (arch !== "Qwen2ForCausalLM" && arch !== "Qwen3ForCausalLM") return null;
  const type = c.layer_types?.[l] ??
    (c.use_sliding_window && l >= (c.max_window_layers ?? 0) ? "sliding_attention" : "full_attention");
  return type === "sliding_attention" ? c.sliding_window : null;
}

function llamaLogits(c: any, W: Weights, ids: number[]): Vec[] {
  const w = (n: string) => W.get(n)?.data;
  const C = c.hidden_size, H = c.num_attention_heads, Hkv = c.num_key_value_heads ?? H;
  const D = c.head_dim ?? C / H, I = c.intermediate_size, eps = c.rms_norm_eps ?? 1e-6;
  const T = ids.length;
  const linear = (v: Vec, p: string, out: number) => {
    const y = matVecOut(v, w(p + ".weight")!, out);
    const b = w(p + ".bias");
    return b ? add(y, b) : y;
  };
  const rope = rotary(c, D, T);
  // Qwen3: each head's D values RMS-normalised on their own.
  const perHeadNorm = (v: Vec, heads: number, g: Vec | undefined) => {
    if (!g) return v;
    const out = new Float64Array(v.length);
    for (let h = 0; h < heads; h++) out.set(rmsNorm(v.subarray(h * D, (h + 1) * D), g, eps), h * D);
    return out;
  };
  let x = ids.map((id) => row(w("model.embed_tokens.weight")!, id, C));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const a = x.map((v) => rmsNorm(v, w(p + "input_layernorm.weight")!, eps));
    const q = a.map((v, t) =>
      rope(perHeadNorm(linear(v, p + "self_attn.q_proj", H * D), H, w(p + "self_attn.q_norm.weight")), H, t)
    );
    const k = a.map((v, t) =>
      rope(perHeadNorm(linear(v, p + "self_attn.k_proj", Hkv * D), Hkv, w(p + "self_attn.k_norm.weight")), Hkv, t)
    );
    const vv = a.map((v) => linear(v, p + "self_attn.v_proj", Hkv * D));
    const y = attention(q, k, vv, H, Hkv, D, T, windowOf(c, l));
    x = x.map((v, t) => add(v, linear(y[t], p + "self_attn.o_proj", C)));
    const m = x.map((v) => rmsNorm(v, w(p + "post_attention_layernorm.weight")!, eps));
    x = x.map((v, t) => {
      const gate = linear(m[t], p + "mlp.gate_proj", I), up = linear(m[t], p + "mlp.up_proj", I);
      const hdn = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
      return add(v, linear(hdn, p + "mlp.down_proj", C));
    });
  }
  const head = w("lm_head.weight") ?? w("model.embed_tokens.weight")!;
  return x.map((v) => matVecOut(rmsNorm(v, w("model.norm.weight")!, eps), head, c.vocab_size));
}

/**
 * Gemma and Gemma2 (modeling_gemma, modeling_gemma2): embeddings × √C, RMSNorm × (1 + w), a
 * tanh-GeLU gated MLP; Gemma2 adds post-attention, pre- and post-feedforward norms, scores scaled
 * by query_pre_attn_scalar^−½ and soft-capped, windows on layers 0, 2, 4 …, and capped logits.
 */
function gemmaLogits(c: any, W: Weights, ids: number[]): Vec[] {
  const w = (n: string) => W.get(n)?.data;
  const two = c.architectures[0] === "Gemma2ForCausalLM";
  const C = c.hidden_size, H = c.num_attention_heads, Hkv = c.num_key_value_heads ?? H;
  const D = c.head_dim ?? C / H, I = c.intermediate_size, eps = c.rms_norm_eps ?? 1e-6, T = ids.length;
  const norm = (v: Vec, name: string) => rmsNorm(v, w(name)!.map((x) => 1 + x), eps);
  const linear = (v: Vec, p: string, out: number) => {
    const y = matVecOut(v, w(p + ".weight")!, out);
    const b = w(p + ".bias");
    return b ? add(y, b) : y;
  };
  const rope = rotary(c, D, T);
  const act = (c.hidden_activation ?? (two ? c.hidden_act : undefined) ?? "gelu_pytorch_tanh") === "gelu"
    ? geluErf
    : geluTanh;
  const scores = {
    scale: two ? Math.pow(c.query_pre_attn_scalar ?? 256, -0.5) : 1 / Math.sqrt(D),
    softcap: two ? (c.attn_logit_softcapping === null ? null : c.attn_logit_softcapping ?? 50) : null,
  };
  // transformers: torch.tensor(hidden_size ** 0.5, dtype=hidden_states.dtype), the checkpoint's dtype.
  const normalizer = roundTo(Math.sqrt(C), c.torch_dtype ?? c.dtype);
  let x: Vec[] = ids.map((id) => row(w("model.embed_tokens.weight")!, id, C).map((e) => e * normalizer));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const window = two && (c.layer_types ? c.layer_types[l] === "sliding_attention" : l % 2 === 0)
      ? c.sliding_window ?? 4096
      : null;
    const a = x.map((v) => norm(v, p + "input_layernorm.weight"));
    const q = a.map((v, t) => rope(linear(v, p + "self_attn.q_proj", H * D), H, t));
    const k = a.map((v, t) => rope(linear(v, p + "self_attn.k_proj", Hkv * D), Hkv, t));
    const vv = a.map((v) => linear(v, p + "self_attn.v_proj", Hkv * D));
    const y = attention(q, k, vv, H, Hkv, D, T, window, scores);
    x = x.map((v, t) => {
      const o = linear(y[t], p + "self_attn.o_proj", C);
      return add(v, two ? norm(o, p + "post_attention_layernorm.weight") : o);
    });
    x = x.map((v) => {
      const m = norm(v, p + (two ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"));
      const gate = linear(m, p + "mlp.gate_proj", I).map(act), up = linear(m, p + "mlp.up_proj", I);
      const out = linear(gate.map((g, i) => g * up[i]), p + "mlp.down_proj", C);
      return add(v, two ? norm(out, p + "post_feedforward_layernorm.weight") : out);
    });
  }
  const head = w("lm_head.weight") ?? w("model.embed_tokens.weight")!;
  const cap = two ? (c.final_logit_softcapping === null ? null : c.final_logit_softcapping ?? 30) : null;
  return x.map((v) => {
    const logits = matVecOut(norm(v, "model.norm.weight"), head, c.vocab_size);
    return cap ? logits.map((z) => cap * Math.tanh(z / cap)) : logits;
  });
}

/** Phi-3 (modeling_phi3): fused qkv_proj (q, k, v rows) and gate_up_proj (gate, up rows), window on every layer. */
function phi3Logits(c: any, W: Weights, ids: number[]): Vec[] {
  const w = (n: string) => W.get(n)?.data;
  const C = c.hidden_size, H = c.num_attention_heads, Hkv = c.num_key_value_heads ?? H;
  const D = c.head_dim ?? C / H, I = c.intermediate_size, eps = c.rms_norm_eps ?? 1e-5, T = ids.length;
  const rope = rotary(c, D, T);
  let x: Vec[] = ids.map((id) => row(w("model.embed_tokens.weight")!, id, C));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const a = x.map((v) => rmsNorm(v, w(p + "input_layernorm.weight")!, eps));
    const qkv = a.map((v) => matVecOut(v, w(p + "self_attn.qkv_proj.weight")!, (H + 2 * Hkv) * D));
    const q = qkv.map((v, t) => rope(v.slice(0, H * D), H, t));
    const k = qkv.map((v, t) => rope(v.slice(H * D, (H + Hkv) * D), Hkv, t));
    const vv = qkv.map((v) => v.slice((H + Hkv) * D));
    const y = attention(q, k, vv, H, Hkv, D, T, c.sliding_window ?? null);
    x = x.map((v, t) => add(v, matVecOut(y[t], w(p + "self_attn.o_proj.weight")!, C)));
    x = x.map((v) => {
      const m = rmsNorm(v, w(p + "post_attention_layernorm.weight")!, eps);
      const gu = matVecOut(m, w(p + "mlp.gate_up_proj.weight")!, 2 * I);
      const hdn = gu.slice(0, I).map((g, i) => (g / (1 + Math.exp(-g))) * gu[I + i]);
      return add(v, matVecOut(hdn, w(p + "mlp.down_proj.weight")!, C));
    });
  }
  const head = w("lm_head.weight") ?? w("model.embed_tokens.weight")!;
  return x.map((v) => matVecOut(rmsNorm(v, w("model.norm.weight")!, eps), head, c.vocab_size));
}

/**
 * GPT-NeoX (modeling_gpt_neox): per-head [q | k | v] in query_key_value, rotary on the first
 * rotary_pct of each head with base rotary_emb_base, GeLU MLP, parallel or sequential residual.
 */
function neoxLogits(c: any, W: Weights, ids: number[]): Vec[] {
  const w = (n: string) => W.get(n)?.data;
  const C = c.hidden_size, H = c.num_attention_heads, D = C / H, I = c.intermediate_size ?? 4 * C;
  const eps = c.layer_norm_eps ?? 1e-5, T = ids.length;
  const rope = rotary(
    {
      ...c,
      rope_theta: c.rope_theta ?? c.rotary_emb_base ?? 10000,
      partial_rotary_factor: c.partial_rotary_factor ?? c.rotary_pct ?? 0.25,
    },
    D,
    T,
  );
  const act = (c.hidden_act ?? "gelu") === "gelu" ? geluErf : geluTanh;
  const ln = (v: Vec, n: string) => layerNorm(v, w(n + ".weight")!, w(n + ".bias")!, eps);
  const linear = (v: Vec, p: string, out: number) => {
    const y = matVecOut(v, w(p + ".weight")!, out);
    const b = w(p + ".bias");
    return b ? add(y, b) : y;
  };
  const pick = (v: Vec, part: number) => {
    const out = new Float64Array(C);
    for (let h = 0; h < H; h++) out.set(v.subarray(h * 3 * D + part * D, h * 3 * D + (part + 1) * D), h * D);
    return out;
  };
  let x: Vec[] = ids.map((id) => row(w("gpt_neox.embed_in.weight")!, id, C));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `gpt_neox.layers.${l}.`;
    const qkv = x.map((v) => linear(ln(v, p + "input_layernorm"), p + "attention.query_key_value", 3 * C));
    const y = attention(
      qkv.map((v, t) => rope(pick(v, 0), H, t)),
      qkv.map((v, t) => rope(pick(v, 1), H, t)),
      qkv.map((v) => pick(v, 2)),
      H,
      H,
      D,
      T,
      null,
    );
    const attnOut = y.map((v) => linear(v, p + "attention.dense", C));
    const mlp = (v: Vec) =>
      linear(
        linear(ln(v, p + "post_attention_layernorm"), p + "mlp.dense_h_to_4h", I).map(act),
        p + "mlp.dense_4h_to_h",
        C,
      );
    x = c.use_parallel_residual ?? true
      ? x.map((v, t) => add(add(v, attnOut[t]), mlp(v)))
      : x.map((v, t) => add(v, attnOut[t])).map((v) => add(v, mlp(v)));
  }
  const head = w("embed_out.weight") ?? w("gpt_neox.embed_in.weight")!;
  return x.map((v) => matVecOut(ln(v, "gpt_neox.final_layer_norm"), head, c.vocab_size));
}

/**
 * Phi-1/1.5/2 (modeling_phi): one LayerNorm feeding attention and MLP in parallel, biases
 * everywhere, partial rotary (default half of each head), optional per-head q/k LayerNorms, a
 * gelu_new MLP, and a head with a bias.
 */
function phiLogits(c: any, W: Weights, ids: number[]): Vec[] {
  const w = (n: string) => W.get(n)?.data;
  const C = c.hidden_size, H = c.num_attention_heads, Hkv = c.num_key_value_heads ?? H, D = C / H;
  const I = c.intermediate_size, eps = c.layer_norm_eps ?? 1e-5, T = ids.length;
  const rope = rotary({ ...c, partial_rotary_factor: c.partial_rotary_factor ?? 0.5 }, D, T);
  const act = (c.hidden_act ?? "gelu_new") === "gelu" ? geluErf : geluTanh;
  const ln = (v: Vec, n: string) => layerNorm(v, w(n + ".weight")!, w(n + ".bias")!, eps);
  const linear = (v: Vec, p: string, out: number) => add(matVecOut(v, w(p + ".weight")!, out), w(p + ".bias")!);
  const perHead = (v: Vec, heads: number, n: string) => {
    if (!c.qk_layernorm) return v;
    const out = new Float64Array(v.length);
    for (let h = 0; h < heads; h++) out.set(ln(v.subarray(h * D, (h + 1) * D), n), h * D);
    return out;
  };
  let x: Vec[] = ids.map((id) => row(w("model.embed_tokens.weight")!, id, C));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const a = x.map((v) => ln(v, p + "input_layernorm"));
    const q = a.map((v, t) =>
      rope(perHead(linear(v, p + "self_attn.q_proj", H * D), H, p + "self_attn.q_layernorm"), H, t)
    );
    const k = a.map((v, t) =>
      rope(perHead(linear(v, p + "self_attn.k_proj", Hkv * D), Hkv, p + "self_attn.k_layernorm"), Hkv, t)
    );
    const vv = a.map((v) => linear(v, p + "self_attn.v_proj", Hkv * D));
    const y = attention(q, k, vv, H, Hkv, D, T, null);
    x = x.map((v, t) => {
      const mlp = linear(linear(a[t], p + "mlp.fc1", I).map(act), p + "mlp.fc2", C);
      return add(add(v, linear(y[t], p + "self_attn.dense", C)), mlp);
    });
  }
  const head = w("lm_head.weight") ?? w("model.embed_tokens.weight")!;
  return x.map((v) => add(matVecOut(ln(v, "model.final_layernorm"), head, c.vocab_size), w("lm_head.bias")!));
}

/**
 * GPT-J (modeling_gptj): ln_1 feeding attention and MLP in parallel, rotate_every_two on the first
 * rotary_dim dimensions of each head (sin and cos repeated per pair), θ = 10000, a head with a bias.
 */
function gptjLogits(c: any, W: Weights, ids: number[]): Vec[] {
  const w = (n: string) => W.get("transformer." + n)?.data ?? W.get(n)?.data;
  const C = c.n_embd, H = c.n_head, D = C / H, I = c.n_inner ?? 4 * C, eps = c.layer_norm_epsilon ?? 1e-5;
  const R = c.rotary_dim ?? D, T = ids.length;
  const act = (c.activation_function ?? "gelu_new") === "gelu" ? geluErf : geluTanh;
  const ln = (v: Vec, n: string) => layerNorm(v, w(n + ".weight")!, w(n + ".bias")!, eps);
  const lin = (v: Vec, n: string, out: number) => {
    const y = matVecOut(v, w(n + ".weight")!, out);
    const b = w(n + ".bias");
    return b ? add(y, b) : y;
  };
  const rope = (v: Vec, t: number) => {
    const out = Float64Array.from(v);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < R / 2; i++) {
        const angle = t / Math.pow(10000, (2 * i) / R);
        const a = v[h * D + 2 * i], b = v[h * D + 2 * i + 1];
        out[h * D + 2 * i] = a * Math.cos(angle) - b * Math.sin(angle);
        out[h * D + 2 * i + 1] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
    return out;
  };
  let x: Vec[] = ids.map((id) => row(w("wte.weight")!, id, C));
  for (let l = 0; l < c.n_layer; l++) {
    const p = `h.${l}.`;
    const a = x.map((v) => ln(v, p + "ln_1"));
    const y = attention(
      a.map((v, t) => rope(lin(v, p + "attn.q_proj", C), t)),
      a.map((v, t) => rope(lin(v, p + "attn.k_proj", C), t)),
      a.map((v) => lin(v, p + "attn.v_proj", C)),
      H,
      H,
      D,
      T,
      null,
    );
    x = x.map((v, t) =>
      add(add(v, lin(y[t], p + "attn.out_proj", C)), lin(lin(a[t], p + "mlp.fc_in", I).map(act), p + "mlp.fc_out", C))
    );
  }
  const head = W.get("lm_head.weight")?.data ?? w("wte.weight")!;
  return x.map((v) => add(matVecOut(ln(v, "ln_f"), head, c.vocab_size), W.get("lm_head.bias")!.data));
}

/**
 * Falcon (modeling_falcon, rotary): query_key_value as G groups of (n query heads, 1 key, 1 value)
 * rows — G = num_kv_heads, n = H/G for new_decoder_architecture; G = 1, n = H for multi_query;
 * G = H, n = 1 otherwise — then parallel (one LayerNorm, or ln_attn + ln_mlp) or sequential blocks.
 */
function falconLogits(c: any, W: Weights, ids: number[]): Vec[] {
  const w = (n: string) => W.get("transformer." + n)?.data ?? W.get(n)?.data;
  const C = c.hidden_size, H = c.num_attention_heads, D = C / H, F = c.ffn_hidden_size ?? 4 * C;
  const eps = c.layer_norm_epsilon ?? 1e-5, T = ids.length;
  const newArch = c.new_decoder_architecture ?? false, parallel = c.parallel_attn ?? true;
  const G = newArch ? c.num_kv_heads ?? H : c.multi_query ?? true ? 1 : H, n = H / G;
  const twoNorms = parallel && (c.num_ln_in_parallel_attn ?? (newArch ? 2 : 1)) === 2;
  const rope = rotary(c, D, T);
  const act = (c.activation ?? "gelu") === "gelu" ? geluErf : geluTanh;
  const ln = (v: Vec, name: string) => layerNorm(v, w(name + ".weight")!, w(name + ".bias")!, eps);
  const lin = (v: Vec, name: string, out: number) => {
    const y = matVecOut(v, w(name + ".weight")!, out);
    const b = w(name + ".bias");
    return b ? add(y, b) : y;
  };
  const part = (qkv: Vec, which: "q" | "k" | "v") => {
    const out: number[] = [];
    for (let g = 0; g < G; g++) {
      const base = g * (n + 2) * D;
      if (which === "q") out.push(...qkv.subarray(base, base + n * D));
      else {out.push(
          ...qkv.subarray(base + (which === "k" ? n : n + 1) * D, base + (which === "k" ? n + 1 : n + 2) * D),
        );}
    }
    return Float64Array.from(out);
  };
  let x: Vec[] = ids.map((id) => row(w("word_embeddings.weight")!, id, C));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `h.${l}.`;
    const a = x.map((v) => ln(v, p + (twoNorms ? "ln_attn" : "input_layernorm")));
    const qkv = a.map((v) => lin(v, p + "self_attention.query_key_value", G * (n + 2) * D));
    const y = attention(
      qkv.map((v, t) => rope(part(v, "q"), H, t)),
      qkv.map((v, t) => rope(part(v, "k"), G, t)),
      qkv.map((v) => part(v, "v")),
      H,
      G,
      D,
      T,
      null,
    );
    const attnOut = y.map((v) => lin(v, p + "self_attention.dense", C));
    const mlp = (v: Vec) => lin(lin(v, p + "mlp.dense_h_to_4h", F).map(act), p + "mlp.dense_4h_to_h", C);
    x = parallel
      ? x.map((v, t) => add(v, add(mlp(twoNorms ? ln(v, p + "ln_mlp") : a[t]), attnOut[t])))
      : x.map((v, t) => add(v, attnOut[t])).map((v) => add(v, mlp(ln(v, p + "post_attention_layernorm"))));
  }
  const head = W.get("lm_head.weight")?.data ?? w("word_embeddings.weight")!;
  return x.map((v) => matVecOut(ln(v, "ln_f"), head, c.vocab_size));
}

/**
 * BART's decoder alone (BartForCausalLM): embeddings (× √d_model if scale_embedding) + positions at
 * index t + 2, layernorm_embedding, post-norm self-attention and GeLU blocks; no cross-attention.
 */
function bartLogits(c: any, W: Weights, ids: number[]): Vec[] {
  const w = (n: string) => W.get("model.decoder." + n)!.data;
  const C = c.d_model, H = c.decoder_attention_heads, D = C / H, F = c.decoder_ffn_dim, T = ids.length;
  const scale = c.scale_embedding ? Math.sqrt(C) : 1;
  const act = (c.activation_function ?? "gelu") === "gelu" ? geluErf : geluTanh;
  const ln = (v: Vec, n: string) => layerNorm(v, w(n + ".weight"), w(n + ".bias"), 1e-5);
  const lin = (v: Vec, n: string, out: number) => add(matVecOut(v, w(n + ".weight"), out), w(n + ".bias"));
  let x: Vec[] = ids.map((id, t) =>
    ln(
      add(row(w("embed_tokens.weight"), id, C).map((e) => e * scale), row(w("embed_positions.weight"), t + 2, C)),
      "layernorm_embedding",
    )
  );
  for (let l = 0; l < c.decoder_layers; l++) {
    const p = `layers.${l}.`;
    const y = attention(
      x.map((v) => lin(v, p + "self_attn.q_proj", C)),
      x.map((v) => lin(v, p + "self_attn.k_proj", C)),
      x.map((v) => lin(v, p + "self_attn.v_proj", C)),
      H,
      H,
      D,
      T,
      null,
    );
    x = x.map((v, t) => ln(add(v, lin(y[t], p + "self_attn.out_proj", C)), p + "self_attn_layer_norm"));
    x = x.map((v) => ln(add(v, lin(lin(v, p + "fc1", F).map(act), p + "fc2", C)), p + "final_layer_norm"));
  }
  const head = W.get("lm_head.weight")?.data ?? w("embed_tokens.weight");
  return x.map((v) => matVecOut(v, head, c.vocab_size));
}

/**
 * Causal multi-head attention with grouped KV heads; key s is visible from t iff 0 ≤ t−s < window.
 * Scores are q·k · `scale` (default 1/√D), soft-capped as cap·tanh(score/cap) when a cap is given.
 */
function attention(
  q: Vec[],
  k: Vec[],
  v: Vec[],
  H: number,
  Hkv: number,
  D: number,
  T: number,
  window: number | null,
  o: { scale?: number; softcap?: number | null } = {},
): Vec[] {
  const scale = o.scale ?? 1 / Math.sqrt(D);
  const out = q.map(() => new Float64Array(H * D));
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / (H / Hkv));
    for (let t = 0; t < T; t++) {
      const scores: number[] = [];
      for (let s = 0; s <= t; s++) {
        if (window !== null && t - s >= window) {
          scores.push(-Infinity);
          continue;
        }
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[t][h * D + d] * k[s][g * D + d];
        const score = dot * scale;
        scores.push(o.softcap ? o.softcap * Math.tanh(score / o.softcap) : score);
      }
      const lse = logSumExp(scores);
      for (let s = 0; s <= t; s++) {
        const p = Math.exp(scores[s] - lse);
        for (let d = 0; d < D; d++) out[t][h * D + d] += p * v[s][g * D + d];
      }
    }
  }
  return out;
}

function row(m: Vec, i: number, n: number): Vec {
  return m.slice(i * n, (i + 1) * n);
}
function add(a: Vec, b: Vec): Vec {
  return a.map((x, i) => x + b[i]);
}
/** v (in) @ W (in, out), the GPT-2 Conv1D layout. */
function matVecIn(v: Vec, W: Vec, out: number): Vec {
  const y = new Float64Array(out);
  for (let i = 0; i < v.length; i++) for (let j = 0; j < out; j++) y[j] += v[i] * W[i * out + j];
  return y;
}
/** W (out, in) @ v (in), the nn.Linear layout. */
function matVecOut(v: Vec, W: Vec, out: number): Vec {
  const y = new Float64Array(out), n = v.length;
  for (let j = 0; j < out; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += W[j * n + i] * v[i];
    y[j] = s;
  }
  return y;
}
function layerNorm(v: Vec, g: Vec, b: Vec, eps: number): Vec {
  const mean = v.reduce((a, x) => a + x, 0) / v.length;
  const variance = v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length;
  return v.map((x, i) => ((x - mean) / Math.sqrt(variance + eps)) * g[i] + b[i]);
}
function rmsNorm(v: Vec, g: Vec, eps: number): Vec {
  const ms = v.reduce((a, x) => a + x * x, 0) / v.length;
  return v.map((x, i) => (x / Math.sqrt(ms + eps)) * g[i]);
}
function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}
function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}
/** erf by its Maclaurin series (|x| < 3) or continued fraction, to ~1e-15. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax, sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f));
}
function logSumExp(v: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) m = Math.max(m, v[i]);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i] - m);
  return m + Math.log(s);
}

/**
 * `x` as a float of `dtype` holds it: bfloat16 keeps 8 significant bits, float16 11, float32 24;
 * the nearest value on that grid, ties to the even neighbour.
 */
function roundTo(x: number, dtype: string | undefined): number {
  const bits = dtype === "bfloat16" ? 8 : dtype === "float16" ? 11 : 24;
  const step = 2 ** (Math.floor(Math.log2(Math.abs(x))) - (bits - 1));
  const q = x / step, floor = Math.floor(q);
  const n = q - floor > 0.5 || (q - floor === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  return n * step;
}
