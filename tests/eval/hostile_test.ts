/**
 * Issue 13's corpus (hostile/corpus.ts), each case checked by the engine in a child process
 * (hostile/child.ts): every attack is rejected with its rule's code, within 10 s, under 1 GiB of
 * resident memory, with a reason that is bounded and escaped once formatted for people, and with
 * no file created outside the model directory; valid layouts still load and leave no graph file.
 */
import assert from "node:assert/strict";
import { formatReason } from "../../eval/mod.ts";
import { CORPUS, VALID } from "./hostile/corpus.ts";
import { tempDir } from "../helpers/temp.ts";

interface Outcome {
  name: string;
  valid: boolean;
  timedOut: boolean;
  loaded: boolean;
  code: string | null;
  message: string;
  ms: number;
  peakMiB: number;
  added: string[];
}

Deno.test(`hostile corpus: ${CORPUS.length} attacks rejected by rule within 10 s and 1 GiB, nothing written outside; ${VALID.length} valid layouts load`, async () => {
  assert.ok(CORPUS.length >= 40, `${CORPUS.length} cases`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL("./hostile/child.ts", import.meta.url).pathname,
      await tempDir("sn9-hostile-"),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const outcomes: Outcome[] = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.startsWith("{")).map((
    l,
  ) => JSON.parse(l));
  const hung = outcomes.find((o) => o.timedOut);
  assert.equal(hung, undefined, `${hung?.name} did not finish within 10 s`);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr).slice(-2000));
  assert.equal(outcomes.length, CORPUS.length + VALID.length);

  const byName = new Map(outcomes.map((o) => [o.name, o]));
  for (const c of CORPUS) {
    const o = byName.get(c.name)!;
    assert.equal(o.code, c.code, `${c.name}: ${o.code} ${o.message.slice(0, 300)}`);
    assert.match(o.message, c.reason, c.name);
    assert.ok(o.message.length <= 1000, `${c.name}: the engine's reason is ${o.message.length} characters`);
    const shown = formatReason(o.message);
    assert.ok(shown.length <= 300, c.name);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(shown, /[\x00-\x1f\x7f-\x9f]/, `${c.name}: a control character reaches people`);
    assert.ok(o.ms < 10_000, `${c.name}: ${o.ms} ms`);
    assert.ok(o.peakMiB < 1024, `${c.name}: peak RSS ${o.peakMiB} MiB`);
    assert.deepEqual(o.added, [], `${c.name}: files appeared outside the model directory`);
  }
  for (const v of VALID) {
    const o = byName.get(`valid: ${v.name}`)!;
    assert.ok(o.loaded, `${v.name}: ${o.code} ${o.message}`);
    assert.deepEqual(o.added, [], `${v.name}: left ${o.added.join(", ")}`);
  }
  const worst = (key: "ms" | "peakMiB") => [...outcomes].sort((a, b) => b[key] - a[key]).slice(0, 3);
  console.log(`slowest: ${worst("ms").map((o) => `${o.name} ${o.ms.toFixed(0)} ms`).join("; ")}`);
  console.log(`most memory: ${worst("peakMiB").map((o) => `${o.name} ${o.peakMiB.toFixed(0)} MiB`).join("; ")}`);
  console.log(
    `every case: ${
      outcomes.map((o) => `${o.name} [${o.code ?? "loaded"}] ${o.ms.toFixed(0)} ms ${o.peakMiB.toFixed(0)} MiB`).join(
        " | ",
      )
    }`,
  );
});
