/**
 * The leaderboard page in a real browser: Debian's Chromium, headless, driven by playwright-core,
 * over the state the demo leaves behind. Set SN9_SCREENSHOT=path to keep the screenshot.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { BUNDLED_SCHEDULES, keyFromUri, leaderboardApp, loadSchedule, ValidatorState } from "../../src/mod.ts";
import { tempDir } from "../helpers/temp.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
// The flags this sandbox needs: no sandbox as root, and no background traffic to closed networks.
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

Deno.test("leaderboard page in headless Chromium: demo models in order, charts with points, a screenshot", async () => {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
  }
  const dir = await tempDir("sn9-browser-");
  const demo = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../tasks/demo.ts", import.meta.url).pathname, "--exit", "--dir", dir],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(demo.code, 0, new TextDecoder().decode(demo.stderr));

  const state = new ValidatorState(join(dir, "validator.sqlite"), { readOnly: true });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    leaderboardApp(state, await loadSchedule(BUNDLED_SCHEDULES.local)).fetch,
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    await page.goto(`http://127.0.0.1:${server.addr.port}/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });

    // Competition 1: bob (the winner) first, then by weight (the copycat, bob's loss but later,
    // sits low), rejected models (no weight) last.
    const rows = await page.$$eval(
      'table[data-competition="1"] tbody tr',
      (trs) =>
        trs.map((tr) => ({
          uid: Number(tr.getAttribute("data-uid")),
          weight: tr.children[8].textContent,
          status: tr.children[9].textContent,
        })),
    );
    const bob = (await keyFromUri("//bob")).address;
    const bobUid = state.models().find((m) => m.hotkey === bob)!.uid;
    assert.equal(rows[0].uid, bobUid, `first row ${JSON.stringify(rows[0])}`);
    const weights = rows.map((r) => r.weight).filter((w) => w !== "—").map(Number);
    assert.deepEqual(weights, [...weights].sort((a, b) => b - a), "rows go by weight");
    assert.ok(weights[0] > 0.99, `the winner's step weight ${weights[0]}`);
    assert.ok(rows.length >= 9, `${rows.length} rows`);
    assert.ok(rows.some((r) => /exceeds the maximum 2000000/.test(r.status!)), "the oversized model shows its reason");

    // The charts drew points.
    const points = await page.evaluate(() => {
      // deno-lint-ignore no-explicit-any
      const chart = (globalThis as any).Chart.getChart("loss1");
      return chart.data.datasets.reduce((n: number, d: { data: unknown[] }) => n + d.data.length, 0);
    });
    assert.ok(points >= 5, `${points} points in the loss chart`);
    // deno-lint-ignore no-explicit-any
    const painted = await page.$eval("#bars1", (canvas: any) => {
      const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n;
    });
    assert.ok(painted > 1000, `${painted} painted pixels in the bar chart`);

    const shot = Deno.env.get("SN9_SCREENSHOT") ?? join(dir, "leaderboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok((await Deno.stat(shot)).size > 10_000);
  } finally {
    await browser.close();
    await server.shutdown();
    state.close();
  }
});
