import assert from "node:assert/strict";
import { DEFAULT_YUMA_PARAMS, weightedMedianCol, yumaEpoch, type YumaInput, type YumaOutput } from "../../src/mod.ts";

const U = 65535;
/** Emission in rao: float64 here, I32F32 on chain, so the floor may differ by 1 rao either way. */
const nearRao = (got: number[], want: number[]) =>
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= 1, `uid ${i}: ${g} rao ≠ ${want[i]} ±1`));
const near = (got: number[], want: number[], tol = 1e-9) =>
  got.forEach((g, i) =>
    assert.ok(Math.abs(g - want[i]) <= tol, `index ${i}: ${g} ≠ ${want[i]} (±${tol}); got ${JSON.stringify(got)}`)
  );

/** Three validators (uids 0–2, stake 0.5/0.3/0.2) and two miners (3, 4), all recently active. */
function base(weights: YumaInput["weights"], extra: Partial<YumaInput> = {}): YumaInput {
  return {
    block: 1000,
    stake: [5, 3, 2, 0, 0],
    weights,
    lastUpdate: [990, 990, 990, 0, 0],
    blockAtRegistration: [0, 0, 0, 0, 0],
    ...extra,
  };
}

Deno.test("weightedMedianCol(): the largest value backed by at least κ of the stake", () => {
  const k = 32767 / 65535; // just under 1/2
  assert.equal(weightedMedianCol([0.5, 0.3, 0.2], [1, 1, 0], k), 1); // 0.8 of stake at ≥ 1
  assert.equal(weightedMedianCol([0.5, 0.3, 0.2], [0, 0, 1], k), 0); // only 0.2 at ≥ 1
  assert.equal(weightedMedianCol([0.5, 0.3, 0.2], [0.2, 0.6, 0.9], k), 0.6); // ≥ 0.9: 0.2; ≥ 0.6: 0.5 ≥ κ
});

Deno.test("consensus is the stake-weighted median and an outlier validator is clipped", () => {
  // v0 and v1 put everything on miner 3; v2 (20% of stake) puts everything on miner 4.
  const out = yumaEpoch(base({ 0: [[3, U]], 1: [[3, U]], 2: [[4, U]] }));
  near(out.consensus, [0, 0, 0, 1, 0]); // miner 3: 80% of stake at weight 1; miner 4: only 20%
  near(out.validatorTrust, [1, 1, 0, 0, 0]); // v2's weight is clipped to nothing
  near(out.incentive, [0, 0, 0, 1, 0]);
  near(out.trust, [0, 0, 0, 1, 0]); // miner 4 kept 0 of its pre-clip rank 0.2
  // Bonds: ΔB = W̃∘S on miner 3 = (0.5, 0.3) → column-normalised (0.625, 0.375) → dividends.
  near(out.dividends, [0.625, 0.375, 0, 0, 0]);
  // Emission = normalise(I + D) × 1e9: v0 0.3125, v1 0.1875, miner 3 0.5.
  nearRao(out.emission, [312_500_000, 187_500_000, 0, 500_000_000, 0]);
  // Stored bonds: column max-upscaled (1, 0.6) as u16, floored: 0.6 × 65535 = 39321, but 0.6 is
  // inexact in float64 and in I32F32 alike, so the floor may land one lower.
  assert.deepEqual(Object.keys(out.bonds), ["0", "1"]);
  assert.deepEqual(out.bonds[0], [[3, 65535]]);
  assert.equal(out.bonds[1][0][0], 3);
  assert.ok(Math.abs(out.bonds[1][0][1] - 39321) <= 1, `${out.bonds[1][0][1]}`);
  assert.deepEqual(out.validatorPermit, [true, true, true, false, false]);
});

Deno.test("an inactive validator's stake and weights count for nothing", () => {
  // v2 last set weights at block 10; with activityCutoff 5000 it is inactive at block 6000.
  const out = yumaEpoch(
    base({ 0: [[3, U]], 1: [[3, U]], 2: [[4, U]] }, { block: 6000, lastUpdate: [5990, 5990, 10, 0, 0] }),
  );
  near(out.incentive, [0, 0, 0, 1, 0]);
  near(out.dividends, [0.625, 0.375, 0, 0, 0]); // active stake (0.5, 0.3) renormalised to (0.625, 0.375)
  assert.equal(out.emission[2], 0);
});

Deno.test("a weight set before the miner (re)registered is ignored", () => {
  // v0 set weights at block 100, half on miner 4, which registered at block 150; v1 set at 200.
  const input = base({ 0: [[3, 32768], [4, 32767]], 1: [[3, U]] }, {
    stake: [6, 4, 0, 0, 0],
    lastUpdate: [100, 200, 0, 0, 0],
    blockAtRegistration: [0, 0, 0, 10, 150],
    block: 210,
  });
  const out = yumaEpoch(input);
  near(out.incentive, [0, 0, 0, 1, 0]); // v0's row becomes (miner 3: 1) after masking
  // Had miner 4 registered before block 100, v0's weights (32768, 32767)/65535 would stand, and
  // with 60% of the stake v0 sets both consensus values (v1's 1.0 on miner 3 has only 40%).
  const earlier = yumaEpoch({ ...input, blockAtRegistration: [0, 0, 0, 10, 50] });
  near(earlier.consensus, [0, 0, 0, 32768 / 65535, 32767 / 65535]);
  // Ranks: miner 3 gets 0.50000763 (both validators, v1 clipped), miner 4 gets 0.6 × 0.49999237;
  // incentive[4] = 0.29999542 / 0.80000305 = 0.3749928.
  near([earlier.incentive[4]], [0.3749928], 1e-6);
});

Deno.test("classic bonds accumulate over chained epochs: a late validator's share grows as 0.5·(1 − 0.9^k)", () => {
  // v0 and v1 hold equal stake; v0 backs miner 2 from the start, v1 joins one epoch later.
  let bonds: YumaInput["bonds"] = {};
  const history: YumaOutput[] = [];
  for (let epoch = 0; epoch < 4; epoch++) {
    const weights: YumaInput["weights"] = { 0: [[2, U]] };
    if (epoch > 0) weights[1] = [[2, U]];
    const out = yumaEpoch({
      block: 1000 + 360 * epoch,
      stake: [1, 1, 0],
      weights,
      bonds,
      lastUpdate: [1000 + 360 * epoch - 1, 1000 + 360 * epoch - 1, 0],
      blockAtRegistration: [0, 0, 0],
    });
    history.push(out);
    bonds = out.bonds;
  }
  near(history[0].dividends, [1, 0, 0]);
  // After k epochs of both voting, v1's bond share is 0.5·(1 − 0.9^k): 0.05, 0.095, 0.1355.
  near(history.slice(1).map((o) => o.dividends[1]), [0.05, 0.095, 0.1355], 2e-4); // u16 storage rounds
  near(history[3].incentive, [0, 0, 1]);
});

Deno.test("Yuma 3: bonds move at α = 0.1 without liquid alpha and ≈0.701 with it", () => {
  const input = (liquidAlpha: boolean): YumaInput => ({
    block: 1000,
    stake: [1, 1, 0],
    weights: { 0: [[2, U]], 1: [[2, U]] },
    lastUpdate: [999, 999, 0],
    blockAtRegistration: [0, 0, 0],
    params: { yuma3: true, liquidAlpha },
  });
  const plain = yumaEpoch(input(false));
  // B' = 0.1 × 1 + 0.9 × 0 = 0.1 for both validators; stored as floor(0.1 × 65535) = 6553.
  assert.deepEqual(plain.bonds, { 0: [[2, 6553]], 1: [[2, 6553]] });
  near(plain.dividends, [0.5, 0.5, 0]);
  // Liquid alpha: weight 1 = consensus and above the bond 0, so diff = 0:
  // α = 0.7 + 0.2 / (1 + e^{10·0.5}) = 0.7013386 → floor(0.7013386 × 65535) = 45962.
  const liquid = yumaEpoch(input(true));
  const alpha = 0.7 + 0.2 / (1 + Math.exp(5));
  assert.deepEqual(liquid.bonds, { 0: [[2, Math.floor(alpha * 65535)]], 1: [[2, Math.floor(alpha * 65535)]] });
});

Deno.test("Yuma 3 liquid alpha: a weight far above consensus moves its bond at ≈0.899", () => {
  // v2 (20%) backs miner 4 alone; consensus for miner 4 is 0. With no bonds penalty its bond grows
  // at α = 0.7 + 0.2 / (1 + e^{−10·(1 − 0.5)}) = 0.8986614.
  const out = yumaEpoch(
    base({ 0: [[3, U]], 1: [[3, U]], 2: [[4, U]] }, { params: { yuma3: true, liquidAlpha: true, bondsPenalty: 0 } }),
  );
  const alpha = 0.7 + 0.2 / (1 + Math.exp(-5));
  assert.deepEqual(out.bonds[2], [[4, Math.floor(alpha * 65535)]]);
});

Deno.test("with no usable weights, emission follows active stake", () => {
  const out = yumaEpoch(base({}));
  assert.deepEqual(out.emission, [500_000_000, 300_000_000, 200_000_000, 0, 0]);
});

Deno.test("previous-epoch permits gate weights; new permits are the top stakes", () => {
  const out = yumaEpoch(
    base({ 0: [[3, U]], 2: [[4, U]] }, {
      validatorPermit: [false, false, true, false, false],
      params: { maxAllowedValidators: 2 },
    }),
  );
  near(out.incentive, [0, 0, 0, 0, 1]); // only v2 had a permit
  assert.deepEqual(out.validatorPermit, [true, true, false, false, false]);
});

Deno.test("yumaEpoch() rejects inconsistent input", () => {
  assert.throws(() => yumaEpoch(base({ 0: [[7, U]] })), /uid 7 is not in 0..4/);
  assert.throws(() => yumaEpoch(base({ 0: [[3, 70000]] })), /not a u16/);
  assert.throws(() => yumaEpoch(base({}, { lastUpdate: [1, 2] })), /lastUpdate has 2 entries/);
  assert.equal(DEFAULT_YUMA_PARAMS.kappa, 32767);
});

Deno.test("deno task yuma reads stdin and prints one JSON object", async () => {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../tasks/yuma.ts", import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(base({ 0: [[3, U]], 1: [[3, U]], 2: [[4, U]] }))));
  await writer.close();
  const { code, stdout } = await child.output();
  assert.equal(code, 0);
  const out = JSON.parse(new TextDecoder().decode(stdout));
  nearRao(out.emission, [312_500_000, 187_500_000, 0, 500_000_000, 0]);
  assert.deepEqual(Object.keys(out).sort(), [
    "bonds",
    "consensus",
    "dividends",
    "emission",
    "incentive",
    "trust",
    "validatorPermit",
    "validatorTrust",
  ]);
});
