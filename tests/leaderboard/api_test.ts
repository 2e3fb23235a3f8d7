import assert from "node:assert/strict";
import { join } from "node:path";
import { BUNDLED_SCHEDULES, leaderboardApp, loadSchedule, ValidatorState } from "../../src/mod.ts";
import { paidNeuron } from "../helpers/neuron.ts";
import { tempDir } from "../helpers/temp.ts";

/** A state with two steps of competition 1: uid 1 leads, uid 2 trails, uid 3 was rejected. */
async function fixtureState() {
  const path = join(await tempDir(), "v.sqlite");
  const s = new ValidatorState(path);
  const row = (
    step: number,
    uid: number,
    loss: number | null,
    status: "ok" | "rejected",
    reason: string | null = null,
  ) => ({
    stepId: step,
    hotkey: `h${uid}`,
    uid,
    competitionId: 1,
    repo: `m${uid}/model`,
    revision: String(uid).repeat(40),
    commitBlock: 10 * uid,
    loss,
    taskLosses: (loss === null ? {} : { falcon: loss }) as Record<string, number>,
    status,
    reason,
    loadMs: 5,
    computeMs: 50,
  });
  for (const [block, l1, l2] of [[100, 3.2, 3.5], [200, 3.1, 3.4]]) {
    const step = s.startStep(block, 1, "cd".repeat(32), {
      seed: "cd".repeat(32),
      tasks: [{
        taskId: "falcon",
        hfDataset: "tiiuae/falcon-refinedweb",
        pages: [{ config: "default", offset: 42, length: 100 }],
        documents: 100,
        tokens: 5000,
        streamSha256: "ef".repeat(32),
      }],
    }, 0);
    s.recordEval(row(step, 1, l1, "ok"));
    s.recordEval(row(step, 2, l2, "ok"));
    s.finishStep(
      step,
      [
        { hotkey: "h1", winRate: 1, wins: 1, epsilon: 0.004, weight: 0.99, excluded: null, explanation: "wins 1 of 1" },
        {
          hotkey: "h2",
          winRate: 0,
          wins: 0,
          epsilon: 0.003,
          weight: 0.01,
          excluded: null,
          explanation: "wins 0 of 1",
        },
      ],
      { 1: { 1: 0.99, 2: 0.01 } },
      1,
    );
  }
  s.upsertModel({
    hotkey: "h3",
    uid: 3,
    competitionId: 1,
    repo: "m3/model",
    revision: "3".repeat(40),
    secureHash: "x",
    commitBlock: 30,
    status: "rejected",
    reason: "limits: too many parameters",
    updatedBlock: 200,
  });
  for (const uid of [1, 2]) {
    s.upsertModel({
      hotkey: `h${uid}`,
      uid,
      competitionId: 1,
      repo: `m${uid}/model`,
      revision: String(uid).repeat(40),
      secureHash: "x",
      commitBlock: 10 * uid,
      status: "ok",
      reason: null,
      updatedBlock: 200,
    });
  }
  // The last epoch as read: uid 1 paid under its hotkey; uid 2's slot now holds another hotkey.
  s.recordOnChain({
    netuid: 1,
    block: 205,
    neurons: [paidNeuron(1, "h1", 0.75, 9_007_199_254_740_993n), paidNeuron(2, "h9", 0.25, 1n)],
  });
  s.close();
  return new ValidatorState(path, { readOnly: true });
}

Deno.test("leaderboard API: every endpoint, bad parameters, caching headers, no CORS", async () => {
  const app = leaderboardApp(await fixtureState(), await loadSchedule(BUNDLED_SCHEDULES.local));
  const get = async (path: string) => {
    const res = await app.request(path);
    return { res, body: await res.json() };
  };

  const health = await get("/api/health");
  assert.equal(health.res.status, 200);
  assert.deepEqual(health.body.lastStep, { id: 2, block: 200, status: "done" });
  assert.equal(health.res.headers.get("cache-control"), "public, max-age=5");
  assert.equal(health.res.headers.get("access-control-allow-origin"), null);

  const comps = await get("/api/competitions");
  assert.deepEqual(comps.body.competitions.map((c: { id: number }) => c.id), [1, 2, 3, 4]);
  assert.equal(comps.body.competitions[2].adapter.base.repo, "sn9/tiny-gpt2-base");

  const board = await get("/api/leaderboard?competition=1");
  assert.equal(board.res.status, 200);
  assert.deepEqual(board.body.rows.map((r: { uid: number }) => r.uid), [1, 2, 3]);
  assert.deepEqual([
    board.body.rows[0].loss,
    board.body.rows[0].winRate,
    board.body.rows[0].weight,
    board.body.rows[0].epsilon,
  ], [3.1, 1, 0.99, 0.004]);
  assert.equal(board.body.rows[2].reason, "limits: too many parameters");
  // The header, by hand: uid 1 wins at 3.1, 0.3 below uid 2; both are past the local schedule's 50
  // decay blocks at block 200, so the bar is uid 1's 3.1 · (1 − 0.0001) (uid 2, later and worse, sets none).
  const { summary } = board.body;
  // Emission is shown in τ (rao / 10^9); the state keeps the rao as a decimal string, whatever its size.
  assert.deepEqual(summary.winner, {
    uid: 1,
    repo: "m1/model",
    loss: 3.1,
    weight: 0.99,
    incentive: 0.75,
    emission: 9_007_199.254740993,
  });
  assert.equal(summary.onChainBlock, 205);
  assert.deepEqual(board.body.rows.map((r: { incentive: number | null }) => r.incentive), [0.75, null, null]);
  assert.ok(Math.abs(summary.margin - 0.3) < 1e-12, String(summary.margin));
  assert.equal(summary.bar.uid, 1);
  assert.ok(
    Math.abs(summary.bar.loss - 3.1 * 0.9999) < 1e-12 && Math.abs(summary.bar.epsilon - 0.0001) < 1e-15,
    JSON.stringify(summary.bar),
  );
  assert.equal(summary.failed, null);
  assert.deepEqual(board.body.series.find((s: { uid: number }) => s.uid === 1).points, [{ block: 100, loss: 3.2 }, {
    block: 200,
    loss: 3.1,
  }]);

  const history = await get("/api/uid/2/history");
  assert.deepEqual(history.body.history.map((h: { loss: number }) => h.loss), [3.5, 3.4]);
  const manifests = await get("/api/manifests?limit=1");
  assert.equal(manifests.body.manifests.length, 1);
  assert.equal(manifests.body.manifests[0].manifest.seed, "cd".repeat(32));

  for (
    const [path, status, pattern] of [
      ["/api/leaderboard", 400, /competition is required/],
      ["/api/leaderboard?competition=-1", 400, /non-negative integer/],
      ["/api/leaderboard?competition=1e3", 400, /non-negative integer/],
      ["/api/leaderboard?competition=70000", 400, /must be in 0..65535/],
      ["/api/leaderboard?competition=9", 404, /not in the schedule/],
      ["/api/uid/abc/history", 400, /uid must be a non-negative integer/],
      ["/api/uid/77/history", 404, /no evaluations/],
      ["/api/manifests?limit=0", 400, /limit must be in 1..100/],
      ["/api/nothing", 404, /no such endpoint/],
    ] as const
  ) {
    const r = await get(path);
    assert.equal(r.res.status, status, path);
    assert.match(r.body.error, pattern, path);
    assert.equal(r.res.headers.get("cache-control"), "no-store", path);
  }

  const page = await app.request("/");
  const html = await page.text();
  assert.match(html, /<script src="\/assets\/chart.js">/);
  assert.match(html, /<link rel="icon" href="\/favicon.svg"/);
  for (const icon of ["/favicon.svg", "/favicon.ico"]) {
    const r = await app.request(icon);
    assert.equal(r.status, 200, `${icon}: no 404 in the browser's console`);
    assert.equal(r.headers.get("content-type"), "image/svg+xml");
    assert.match(await r.text(), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  }
  const chartJs = await app.request("/assets/chart.js");
  assert.equal(chartJs.status, 200);
  assert.ok((await chartJs.text()).length > 100_000, "Chart.js is served from the npm package");
});

Deno.test("leaderboard API: an adapter competition's board carries the base's loss and each adapter's improvement on it", async () => {
  const path = join(await tempDir(), "v.sqlite");
  const s = new ValidatorState(path);
  const baseline = {
    repo: "sn9/base",
    revision: "b".repeat(40),
    loss: 4,
    taskLosses: { falcon: 4 },
    loadMs: 1,
    computeMs: 2,
  };
  const step = s.startStep(300, 3, "cd".repeat(32), { seed: "cd".repeat(32), tasks: [] }, 0, baseline);
  for (const [uid, loss] of [[4, 3.5], [5, 4.25]]) {
    s.recordEval({
      stepId: step,
      hotkey: `h${uid}`,
      uid,
      competitionId: 3,
      repo: `m${uid}/lora`,
      revision: String(uid).repeat(40),
      commitBlock: 250,
      loss,
      taskLosses: { falcon: loss },
      status: "ok",
      reason: null,
      loadMs: 1,
      computeMs: 1,
    });
  }
  s.finishStep(
    step,
    [
      { hotkey: "h4", winRate: 1, wins: 0, epsilon: 0.005, weight: 1, excluded: null, explanation: "alone" },
      {
        hotkey: "h5",
        winRate: 0,
        wins: 0,
        epsilon: 0.005,
        weight: 0,
        excluded: "no-improvement",
        explanation: "worse",
      },
    ],
    { 3: { 4: 1 } },
    1,
  );
  s.close();
  const app = leaderboardApp(new ValidatorState(path, { readOnly: true }), await loadSchedule(BUNDLED_SCHEDULES.local));
  const board = await (await app.request("/api/leaderboard?competition=3")).json();
  assert.deepEqual(board.base, { repo: "sn9/base", revision: "b".repeat(40), loss: 4 });
  assert.deepEqual(board.rows.map((r: { uid: number; improvement: number }) => [r.uid, r.improvement]), [[4, 0.5], [
    5,
    -0.25,
  ]]);
  const full = await (await app.request("/api/leaderboard?competition=1")).json();
  assert.equal(full.base, null);
});
