/**
 * Runs the hostile corpus (corpus.ts) in this process, one case at a time, and prints one JSON
 * line per case: the rejection code and message, the time the engine took, this process's peak
 * resident memory during the check (VmHWM, reset before each case through /proc/self/clear_refs),
 * and any file that appeared outside the model directory. Run by hostile_test.ts as a child so
 * the memory measured is the engine's alone.
 */
import { join, relative } from "node:path";
import { checkModel, createLossSession, ModelRejected } from "../../../eval/mod.ts";
import { CORPUS, VALID } from "./corpus.ts";

const root = Deno.args[0];
const only = Deno.args[1] ? new Set(Deno.args[1].split("|")) : undefined;
const LIMIT_MS = 10_000;

const peakMiB = () => Number(/VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]) / 1024;
const resetPeak = () => Deno.writeTextFileSync("/proc/self/clear_refs", "5");

async function tree(dir: string): Promise<Set<string>> {
  const out = new Set<string>();
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      out.add(relative(dir, p));
      if (e.isDirectory) await walk(p);
    }
  };
  await walk(dir);
  return out;
}

const cases = [
  ...CORPUS.map((c) => ({ ...c, valid: false })),
  ...VALID.map((v) => ({ name: `valid: ${v.name}`, build: v.build, valid: true, code: undefined })),
].filter((c) => !only || only.has(c.name));

for (const [i, c] of cases.entries()) {
  const base = join(root, String(i));
  const d = { model: join(base, "model"), outside: join(base, "outside") };
  await Deno.mkdir(d.outside, { recursive: true });
  await c.build(d);
  const before = await tree(base);
  (globalThis as { gc?: () => void }).gc?.();
  resetPeak();
  const started = performance.now();
  let code: string | null = null, message = "", loaded = false;
  const work = (async () => {
    try {
      const m = await checkModel(d.model);
      const session = await createLossSession(m, { maxSequenceLength: 8 });
      await session.release();
      loaded = true;
    } catch (e) {
      code = e instanceof ModelRejected ? e.code : `threw ${(e as Error).name}`;
      message = (e as Error).message;
    }
  })();
  const timedOut = await Promise.race([
    work.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), LIMIT_MS)),
  ]);
  const ms = performance.now() - started;
  const peak = peakMiB();
  const modelReal = await Deno.realPath(d.model).catch(() => d.model);
  const added = [...await tree(base)].filter((p) => !before.has(p))
    .filter((p) => !join(base, p).startsWith(modelReal + "/") || /\.sn9-graph-/.test(p));
  console.log(
    JSON.stringify({ name: c.name, valid: c.valid, timedOut, loaded, code, message, ms, peakMiB: peak, added }),
  );
  if (timedOut) Deno.exit(3); // a hung read cannot be cancelled; the test reports it
}
