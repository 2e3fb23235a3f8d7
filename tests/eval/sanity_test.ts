import assert from "node:assert/strict";
import { checkModel, createLossSession, type LossSession, sanityCheck } from "../../eval/mod.ts";
import { BYTE_EOS, byteEncode, evalSequences } from "../../fixtures/mod.ts";
import { customQualityModel, qualityModel, tinyModel } from "../helpers/models.ts";

const C = 260; // QUALITY_CONFIG.n_embd

async function session(dir: string): Promise<LossSession> {
  return createLossSession(await checkModel(dir), { maxSequenceLength: 128 });
}

/** A stand-in session that replays fixed continuations: exercises the rule, not the model. */
function scripted(a: number[], b: number[]): LossSession {
  let step = 0;
  return {
    run: () => {
      const i = step++;
      return Promise.resolve({ losses: [0, 0], nextTokens: [[a[i], 0], [b[i], 0]] });
    },
  } as unknown as LossSession;
}

Deno.test("sanityCheck() passes a model whose continuations depend on the prompt", async () => {
  const [p1, p2] = await evalSequences(100, 2);
  const s = await session(await tinyModel("llama-f32-untied"));
  const result = await sanityCheck(s, [p1, p2], { eosTokenId: BYTE_EOS });
  await s.release();
  assert.equal(result.ok, true, result.reason ?? "");
  assert.equal(result.continuations[0].length, 20);
  assert.notDeepEqual(result.continuations[0], result.continuations[1]);
});

Deno.test("sanityCheck() fails a unigram model: the same token whatever the prompt", async () => {
  const [p1, p2] = await evalSequences(100, 2);
  const s = await session(await qualityModel("unigram"));
  const result = await sanityCheck(s, [p1, p2], { eosTokenId: BYTE_EOS });
  await s.release();
  assert.equal(result.ok, false);
  assert.match(result.reason!, /agree in 20 of 20 positions/);
  // The most frequent byte of English text is the space.
  assert.deepEqual(result.continuations[0], Array(20).fill(byteEncode(" ")[0]));
});

Deno.test("sanityCheck() skips EOS as generation with min_new_tokens does", async () => {
  // A unigram model whose favourite token is EOS; its second favourite is the space.
  const dir = await customQualityModel("unigram-eos", (params) => {
    params.find((p) => p.name === "lm_head.weight")!.data[BYTE_EOS * C] = 0;
  });
  const [p1, p2] = await evalSequences(100, 2);
  const s = await session(dir);
  const { nextTokens } = await s.run([p1]);
  assert.equal(nextTokens[0][0], BYTE_EOS);
  const result = await sanityCheck(s, [p1, p2], { eosTokenId: BYTE_EOS });
  await s.release();
  assert.ok(!result.continuations[0].includes(BYTE_EOS));
  assert.deepEqual(result.continuations[0], Array(20).fill(byteEncode(" ")[0]));
});

Deno.test("sanityCheck() agreement rule: 10 equal positions fail, 9 pass", async () => {
  const a = Array.from({ length: 20 }, (_, i) => i);
  const tenSame = a.map((t, i) => (i < 10 ? t : t + 100));
  const nineSame = a.map((t, i) => (i < 9 ? t : t + 100));
  assert.equal((await sanityCheck(scripted(a, tenSame), [[1, 2], [3, 4]])).ok, false);
  assert.equal((await sanityCheck(scripted(a, nineSame), [[1, 2], [3, 4]])).ok, true);
});

Deno.test("sanityCheck() repetition rule: both repeating one token 11 times fail; 10, or only one, pass", async () => {
  const rep = (n: number, token: number, other: number) =>
    Array.from({ length: 20 }, (_, i) => (i < n ? token : other + i));
  assert.equal((await sanityCheck(scripted(rep(11, 5, 100), rep(11, 6, 200)), [[1, 2], [3, 4]])).ok, false);
  assert.equal((await sanityCheck(scripted(rep(10, 5, 100), rep(11, 6, 200)), [[1, 2], [3, 4]])).ok, true);
  assert.equal((await sanityCheck(scripted(rep(11, 5, 100), rep(3, 6, 200)), [[1, 2], [3, 4]])).ok, true);
});
