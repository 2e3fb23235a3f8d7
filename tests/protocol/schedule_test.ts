import assert from "node:assert/strict";
import {
  BUNDLED_SCHEDULES,
  type Competition,
  competitionAt,
  loadSchedule,
  scheduleAt,
  validateSchedule,
} from "../../src/mod.ts";
import { tinyCompetition, tinyPseudogradRules } from "../helpers/competitions.ts";

const competition = (over: Record<string, unknown> = {}): Competition =>
  tinyCompetition({
    maxParameters: 1000,
    maxBytes: 10_000,
    epsilon: { start: 0.005, end: 0.0001, decayBlocks: 10 },
    ...over,
  });

Deno.test("the bundled schedules load and validate", async () => {
  for (const url of Object.values(BUNDLED_SCHEDULES)) {
    const s = await loadSchedule(url);
    assert.ok(s.length >= 1);
    assert.ok(scheduleAt(s, 0).competitions.length >= 2);
  }
});

Deno.test("scheduleAt() picks the entry with the highest startBlock ≤ block", () => {
  const s = validateSchedule([
    { startBlock: 10, competitions: [competition({ name: "first" })] },
    { startBlock: 100, competitions: [competition({ name: "second" })] },
  ]);
  assert.equal(scheduleAt(s, 10).competitions[0].name, "first");
  assert.equal(scheduleAt(s, 99).competitions[0].name, "first");
  assert.equal(scheduleAt(s, 100).competitions[0].name, "second");
  assert.throws(() => scheduleAt(s, 9), /no competitions are scheduled at block 9/);
  assert.equal(competitionAt(s, 500, 1)?.name, "second");
  assert.equal(competitionAt(s, 500, 2), undefined);
});

Deno.test("validateSchedule() refuses each broken rule with a reason", () => {
  const entry = (competitions: Competition[], startBlock = 0) => [{ startBlock, competitions }];
  const cases: [unknown, RegExp][] = [
    [[], /non-empty array/],
    [entry([competition({ rewardShare: 0.5 })]), /reward shares sum to 0.5, not 1/],
    [entry([competition({ rewardShare: 0.5 }), competition({ rewardShare: 0.5 })]), /competition id 1 appears twice/],
    [
      entry([competition({ tasks: [{ id: "a", dataset: "falcon", pages: 1, weight: 0.7 }] })]),
      /task weights sum to 0.7/,
    ],
    [entry([competition({ architectures: ["BertModel"] })]), /architecture "BertModel" is not known to the engine/],
    [
      entry([competition({ tasks: [{ id: "a", dataset: "c4", pages: 1, weight: 1 }] })]),
      /dataset "c4" is not known to the loaders/,
    ],
    [entry([competition({ minParameters: 5000 })]), /minParameters 5000 exceeds maxParameters 1000/],
    [entry([competition({ maxBytes: 0 })]), /maxBytes must be an integer/],
    [entry([competition({ id: 70000 })]), /id must be an integer in \[0, 65535\]/],
    [
      entry([competition({ epsilon: { start: 0.001, end: 0.01, decayBlocks: 5 } })]),
      /epsilon must have 0 ≤ end ≤ start/,
    ],
    [
      [...entry([competition()], 10), ...entry([competition()], 10)],
      /startBlock 10 is not after the previous entry's 10/,
    ],
  ];
  for (const [raw, pattern] of cases) assert.throws(() => validateSchedule(raw), pattern);
});

Deno.test("pseudo-gradient competitions: the pinned base, the windows, the codec and the scoring constants are checked at load", () => {
  const pseudograd = tinyPseudogradRules({ repo: "sn9/base", revision: "a".repeat(40), hash: "A".repeat(43) + "=" });

  const ok = validateSchedule([{
    startBlock: 0,
    competitions: [competition({ kind: "pseudograd", pseudograd } as never)],
  }]);
  assert.equal(ok[0].competitions[0].pseudograd!.windowBlocks, 20);
  const entry = (over: Record<string, unknown>) => [{
    startBlock: 0,
    competitions: [competition({ kind: "pseudograd", pseudograd: { ...pseudograd, ...over } } as never)],
  }];
  const cases: [unknown, RegExp][] = [
    [[{ startBlock: 0, competitions: [competition({ kind: "pseudograd" } as never)] }], /pseudograd is required/],
    [[{ startBlock: 0, competitions: [competition({ pseudograd } as never)] }], /pseudograd is only for kind/],
    [entry({ base: { ...pseudograd.base, revision: "main" } }), /pseudograd.base.revision must be a 40-hex-digit/],
    [entry({ windowBlocks: 8 }), /window_blocks 8 must be an integer ≥ 12/],
    [entry({ putBlocks: 20 }), /put_blocks 20 must be an integer in \[1, window_blocks\)/],
    [entry({ codec: { chunk: 64, topk: 64, bins: 300, range: 6 } }), /pseudograd: .*bins/],
    [entry({ ownSequences: 0 }), /ownSequences must be an integer in \[1, 10000\], got 0/],
    [entry({ eta: -1 }), /eta must be a number in \(0, 10\], got -1/],
    [entry({ overlapThreshold: 1.5 }), /overlapThreshold must be a number in \(0, 1\], got 1.5/],
  ];
  for (const [raw, pattern] of cases) assert.throws(() => validateSchedule(raw), pattern);
});

Deno.test("adapter competitions: the pinned base and the adapter limits are checked at load", () => {
  const adapter = {
    base: { repo: "sn9/base", revision: "a".repeat(40), hash: "A".repeat(43) + "=" },
    maxRank: 16,
    targetModules: ["c_attn", "c_proj"],
    dora: false,
  };
  const ok = validateSchedule([{ startBlock: 0, competitions: [competition({ kind: "adapter", adapter })] }]);
  assert.equal(ok[0].competitions[0].adapter!.maxRank, 16);
  const entry = (over: Partial<Competition>) => [{ startBlock: 0, competitions: [competition(over)] }];
  const cases: [unknown, RegExp][] = [
    [entry({ kind: "lora" as never }), /kind must be "model", "adapter" or "pseudograd", got "lora"/],
    [entry({ kind: "adapter" }), /adapter is required for kind "adapter"/],
    [entry({ adapter }), /adapter is only for kind "adapter"/],
    [
      entry({ kind: "adapter", adapter: { ...adapter, base: { ...adapter.base, repo: "no-slash" } } }),
      /base.repo: "no-slash" is not namespace\/name/,
    ],
    [
      entry({ kind: "adapter", adapter: { ...adapter, base: { ...adapter.base, revision: "main" } } }),
      /base.revision must be a 40-hex-digit commit, got "main"/,
    ],
    [
      entry({ kind: "adapter", adapter: { ...adapter, base: { ...adapter.base, hash: "xyz" } } }),
      /base.hash must be a model hash/,
    ],
    [
      entry({ kind: "adapter", adapter: { ...adapter, maxRank: 0 } }),
      /maxRank must be an integer in \[1, 4096\], got 0/,
    ],
    [
      entry({ kind: "adapter", adapter: { ...adapter, targetModules: ["q_proj.*"] } }),
      /targetModules must be a non-empty array of module names/,
    ],
    [entry({ kind: "adapter", adapter: { ...adapter, dora: "yes" as never } }), /dora must be true or false/],
  ];
  for (const [raw, pattern] of cases) assert.throws(() => validateSchedule(raw), pattern);
});
