/**
 * Gemma's embedding normaliser in the checkpoint's dtype. transformers builds it as
 * `torch.tensor(hidden_size ** 0.5, dtype=hidden_states.dtype)` (modeling_gemma.py,
 * modeling_gemma2.py), so a BF16 checkpoint run as BF16 multiplies by √C rounded to BF16. The
 * values are worked by hand; the engine is checked against the float64 reference, which rounds
 * the same way by its own arithmetic, and against its own float32 normaliser, so a regression shows.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModel, createLossSession, embeddingNormalizer, evaluateLosses } from "../../eval/mod.ts";
import { BYTE_VOCAB, evalSequences, writeTinyModel } from "../../fixtures/mod.ts";
import { referenceForward } from "../reference/forward.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("embeddingNormalizer() rounds √C to the checkpoint's dtype", () => {
  // √56 = 7.48331…; in [4, 8) bfloat16 steps by 2^-5 (7.48331 / 0.03125 = 239.47 → 239 × 0.03125)
  // and float16 by 2^-8 (1915.73 → 1916 × 0.00390625).
  assert.equal(embeddingNormalizer(56, "bfloat16"), 7.46875);
  assert.equal(embeddingNormalizer(56, "float16"), 7.484375);
  assert.equal(embeddingNormalizer(56, "float32"), Math.fround(Math.sqrt(56)));
  assert.equal(embeddingNormalizer(56, undefined), Math.fround(Math.sqrt(56)));
  // √2304 = 48 is exact in every dtype.
  assert.equal(embeddingNormalizer(2304, "bfloat16"), 48);
});

Deno.test("a bfloat16 Gemma-2 checkpoint scores with √C in bfloat16, as transformers runs it", async () => {
  const config = (torchDtype?: string) => ({
    architectures: ["Gemma2ForCausalLM"],
    vocab_size: BYTE_VOCAB,
    hidden_size: 56,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
    intermediate_size: 64,
    max_position_embeddings: 128,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    hidden_activation: "gelu_pytorch_tanh",
    query_pre_attn_scalar: 16,
    attn_logit_softcapping: 50,
    final_logit_softcapping: 30,
    sliding_window: 8,
    ...(torchDtype ? { torch_dtype: torchDtype } : {}),
  });
  const root = await tempDir("sn9-gemma-norm-");
  const sequences = await evalSequences(40, 3);
  const losses = async (name: string, torchDtype?: string) => {
    const dir = join(root, name);
    await writeTinyModel({ name, config: config(torchDtype), dtype: "BF16", seed: 31 }, dir);
    const session = await createLossSession(await checkModel(dir), { maxSequenceLength: 64 });
    try {
      return { dir, got: await evaluateLosses(session, sequences, { batchSize: 3 }) };
    } finally {
      await session.release();
    }
  };
  const bf16 = await losses("bf16", "bfloat16");
  const f32 = await losses("f32");
  const { losses: want } = await referenceForward(bf16.dir, sequences);
  const rel = bf16.got.map((g, i) => Math.abs(g - want[i]) / want[i]);
  const shift = bf16.got.map((g, i) => Math.abs(g - f32.got[i]) / f32.got[i]);
  console.log(
    `bf16 normaliser: max relative difference to the reference ${
      Math.max(...rel).toExponential(2)
    } (tolerance 1e-5); ` +
      `the float32 normaliser would move the losses by up to ${Math.max(...shift).toExponential(2)}`,
  );
  for (const r of rel) assert.ok(r <= 1e-5, `engine against the reference: ${r}`);
  assert.ok(Math.max(...shift) > 1e-5, "the two normalisers give losses the test tells apart");
});
