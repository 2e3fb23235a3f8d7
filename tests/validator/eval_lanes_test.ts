/**
 * The embedded evaluation workers: `runInLanes` gives each item to exactly one lane and never
 * runs two at once on a lane; a failure stops new work; the CPU's cores are split between lanes;
 * and a step on two lanes records the same losses, to the bit, as the same step on one.
 */
import assert from "node:assert/strict";
import { cpuLanes, type EvalLane, runInLanes } from "../../src/mod.ts";
import { formatDeviceSpec, parseDeviceSpec } from "../../eval/mod.ts";
import { fiveMinerSteps, measured } from "../helpers/five_miner_steps.ts";

Deno.test("runInLanes() runs each item once, one at a time per lane, all lanes busy", async () => {
  const lanes: EvalLane[] = [{ device: "cpu", threads: 1 }, { device: "cuda", deviceId: 1 }];
  const seen: number[] = [];
  const busy = new Map<EvalLane, number>();
  let most = 0;
  const used = new Set<EvalLane>();
  await runInLanes([0, 1, 2, 3, 4, 5, 6], lanes, async (item, lane) => {
    busy.set(lane, (busy.get(lane) ?? 0) + 1);
    most = Math.max(most, busy.get(lane)!);
    used.add(lane);
    await Promise.resolve();
    seen.push(item);
    busy.set(lane, busy.get(lane)! - 1);
  });
  assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(most, 1, "a lane never runs two items at once");
  assert.equal(used.size, 2, "both lanes took work");
});

Deno.test("runInLanes() stops taking work after a failure and throws it once the running items end", async () => {
  const started: number[] = [];
  await assert.rejects(
    runInLanes([0, 1, 2, 3, 4], [{ device: "cpu" }, { device: "cpu" }], async (item) => {
      started.push(item);
      await Promise.resolve();
      if (item === 1) throw new Error("lane broke on 1");
    }),
    /lane broke on 1/,
  );
  assert.ok(started.length <= 3, `no new items after the failure: ${started}`);
});

Deno.test("cpuLanes() splits the cores between lanes, each at least one thread", () => {
  assert.deepEqual(cpuLanes(2, 2).map((l) => l.threads), [1, 1]);
  assert.deepEqual(cpuLanes(3, 8).map((l) => l.threads), [3, 3, 2]);
  assert.deepEqual(cpuLanes(4, 2).map((l) => l.threads), [1, 1, 1, 1]);
});

Deno.test("a step on two CPU lanes records the losses of the same step on one, to the bit", async () => {
  const f = await fiveMinerSteps("lanes");
  try {
    const run = async (name: string, lanes: EvalLane[]) => {
      const lines: string[] = [];
      const evals = await f.step(name, { lanes }, (l) => lines.push(l));
      return { losses: measured(evals), lines };
    };
    const one = await run("one", [{ device: "cpu", threads: 1 }]);
    const two = await run("two", cpuLanes(2, 2));
    assert.equal(one.losses.length, 5);
    assert.deepEqual(two.losses, one.losses, "the same losses, bit for bit");
    assert.equal(two.lines.filter((l) => / on cpu \(1 thread\)$/.test(l)).length, 5, two.lines.join("\n"));
  } finally {
    await f.close();
  }
});

Deno.test("parseDeviceSpec() reads cpu, cuda and cuda:N, and refuses the rest with what it accepts", () => {
  assert.deepEqual(parseDeviceSpec("cpu"), { device: "cpu" });
  assert.deepEqual(parseDeviceSpec("cuda:1"), { device: "cuda", deviceId: 1 });
  assert.equal(formatDeviceSpec(parseDeviceSpec("cuda:12")), "cuda:12");
  for (const bad of ["cpu:0", "tpu", "cuda:", "cuda:-1", "CUDA", "cuda:1:2"]) {
    assert.throws(() => parseDeviceSpec(bad), /is not one of cpu, cuda, webgpu/, bad);
  }
});
