/**
 * The compiled graph is written beside the weights and removed once loaded; a graph left by a
 * process killed in between (its pid no longer runs) is removed by the next session there, while
 * one belonging to a running process is left alone.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModel, createLossSession } from "../../eval/mod.ts";
import { tinyModel } from "../helpers/models.ts";

Deno.test("graph files: none left after a session; a dead process's graph is cleaned up, a live one's kept", async () => {
  const dir = await tinyModel("gpt2-f32-tied");
  let dead = 4_000_000; // above Linux's pid_max, so never a running process
  while (await Deno.stat(`/proc/${dead}`).then(() => true, () => false)) dead++;
  const uuid = () => crypto.randomUUID();
  const stale = join(dir, `.sn9-graph-${dead}-${uuid()}.onnx`);
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const live = join(dir, `.sn9-graph-${sleeper.pid}-${uuid()}.onnx`);
  try {
    await Deno.writeTextFile(stale, "left by a killed validator");
    await Deno.writeTextFile(live, "being loaded by another process");
    const session = await createLossSession(await checkModel(dir), { maxSequenceLength: 8 });
    await session.release();
    const graphs = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith(".sn9-graph-"));
    assert.deepEqual(graphs, [live.split("/").pop()]);
  } finally {
    sleeper.kill();
    await sleeper.status;
    await Deno.remove(live).catch(() => {});
  }
});
