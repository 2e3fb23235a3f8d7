/**
 * The compiled graph is written beside the weights it points into (ONNX Runtime resolves external
 * data relative to the graph file and refuses paths that leave its directory), and removed once
 * the session has loaded it. The name carries the writer's process id, so a graph left behind by
 * a process killed in between is recognised and removed by the next session in that directory.
 */
import { join } from "node:path";

const GRAPH = /^\.sn9-graph-(\d+)-[0-9a-f-]{36}\.onnx$/;

/** A fresh graph file name for this process. */
export function graphFileName(): string {
  return `.sn9-graph-${Deno.pid}-${crypto.randomUUID()}.onnx`;
}

/** Removes graph files in `dir` whose writer no longer runs; returns how many. */
export async function removeStaleGraphs(dir: string): Promise<number> {
  let removed = 0;
  for await (const e of Deno.readDir(dir)) {
    const m = GRAPH.exec(e.name);
    if (!m || !e.isFile || Number(m[1]) === Deno.pid || await running(Number(m[1]), join(dir, e.name))) continue;
    await Deno.remove(join(dir, e.name)).then(() => removed++, () => {});
  }
  return removed;
}

/** Whether `pid` still runs: /proc on Linux; elsewhere, a graph younger than an hour is given the benefit. */
async function running(pid: number, path: string): Promise<boolean> {
  if (Deno.build.os === "linux") return await Deno.stat(`/proc/${pid}`).then(() => true, () => false);
  const { mtime } = await Deno.stat(path);
  return mtime !== null && Date.now() - mtime.getTime() < 3_600_000;
}
