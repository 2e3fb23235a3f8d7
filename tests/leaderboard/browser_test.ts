/// <reference lib="dom" />
/**
 * The leaderboard page in a real browser (Debian's Chromium, headless, driven by playwright-core)
 * over a synthetic state (synthetic_state.ts), at a desktop width and a phone width. Set
 * SN9_SCREENSHOT_DIR to keep the two screenshots.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { BUNDLED_SCHEDULES, leaderboardApp, loadSchedule, ValidatorState } from "../../src/mod.ts";
import { tempDir } from "../helpers/temp.ts";
import { writeSyntheticState } from "./synthetic_state.ts";

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

async function withPage(
  viewport: { width: number; height: number; scale: number },
  check: (page: Page, shot: (name: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
  }
  const state = new ValidatorState(await writeSyntheticState(), { readOnly: true });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    leaderboardApp(state, await loadSchedule(BUNDLED_SCHEDULES.local)).fetch,
  );
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    const page = await browser.newPage({
      viewport: { width: viewport.width, height: viewport.height },
      deviceScaleFactor: viewport.scale,
    });
    await page.goto(`http://127.0.0.1:${server.addr.port}/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    const dir = Deno.env.get("SN9_SCREENSHOT_DIR") ?? await tempDir("sn9-shots-");
    await check(page, async (name) => {
      const path = join(dir, name);
      await page.screenshot({ path, fullPage: true });
      assert.ok((await Deno.stat(path)).size > 10_000, `${path} has content`);
    });
  } finally {
    await browser?.close();
    await server.shutdown();
    state.close();
  }
}

Deno.test("leaderboard at desktop width: order, explanations, repo legends, charts at their drawn size, ignored commitments escaped", async () => {
  await withPage({ width: 1280, height: 900, scale: 1 }, async (page, shot) => {
    const rows = await page.$$eval('table[data-competition="1"] tbody tr[data-uid]', (trs) =>
      trs.map((tr) => {
        const cell = (label: string) => tr.querySelector(`td[data-label="${label}"]`)?.textContent ?? "";
        return {
          uid: Number(tr.getAttribute("data-uid")),
          weight: cell("weight"),
          status: cell("status"),
          why: cell("why"),
        };
      }));
    // bob (uid 2) overtook alice by more than her epsilon: the winner, first.
    assert.equal(rows[0].uid, 2, JSON.stringify(rows[0]));
    assert.match(rows[0].why, /^wins \d+ of \d+: the best win rate, weight 1\.0000$/);
    const weights = rows.map((r) => r.weight).filter((w) => w !== "—").map(Number);
    assert.deepEqual(weights, [...weights].sort((a, b) => b - a), "rows go by weight");
    const byUid = new Map(rows.map((r) => [r.uid, r]));
    assert.match(
      byUid.get(3)!.why,
      /^same loss as uid 1, committed earlier \(block 100\): a copy can never win, no weight$/,
    );
    assert.match(
      byUid.get(1)!.why,
      /win rate 0\.000 is 1\.000 below the best, and weight is softmax\(win rate \/ 0\.01\)/,
    );
    assert.match(
      byUid.get(4)!.why,
      /^cannot overtake uid \d \(block \d+, loss [\d.]+\) even after its advantage decays/,
    );
    // The hostile tensor name shows as escaped text: no markup, no raw escape character.
    assert.equal(byUid.get(6)!.status, "rejected");
    assert.match(
      byUid.get(6)!.why,
      /^safetensors: unknown tensor \\x1b\[2J<b>model OK<\/b>\\x0d in model\.safetensors/,
    );
    assert.equal(
      await page.$$eval('table[data-competition="1"] b', (bs) => bs.length),
      0,
      "no <b> from the state became markup",
    );
    // The epsilon numbers of the panel come from the schedule.
    assert.equal(await page.textContent("#eps-start"), "0.005");

    // Ignored commitments: both listed; the markup in one is text, not a script that ran.
    const ignored = await page.$$eval("#ignored-table tbody tr", (trs) => trs.map((tr) => tr.textContent ?? ""));
    assert.equal(ignored.length, 2);
    assert.match(ignored[0], /<script>window\.__injected = 1<\/script>:\\x1b\[31mred/);
    assert.match(ignored[1], /competition 9 is not in force/);
    assert.equal(await page.evaluate(() => (globalThis as { __injected?: number }).__injected), undefined);
    assert.match(await page.textContent("#failed-table") ?? "", /DatasetWithTooBigExternalFilesError/);

    // Legends name repos; charts are drawn at the size they are shown (not stretched).
    const charts = await page.evaluate(() => {
      // deno-lint-ignore no-explicit-any
      const Chart = (globalThis as any).Chart;
      return ["loss1", "bars1", "loss2"].map((id) => {
        const c = Chart.getChart(id);
        const canvas = c.canvas as HTMLCanvasElement;
        const points = c.data.datasets.reduce((n: number, d: { data: unknown[] }) => n + d.data.length, 0);
        return {
          id,
          labels: c.data.datasets.map((d: { label: string }) => d.label).concat(c.data.labels ?? []),
          points,
          drawn: [canvas.width, canvas.height],
          shown: [canvas.clientWidth * devicePixelRatio, canvas.clientHeight * devicePixelRatio],
        };
      });
    });
    for (const c of charts) {
      assert.ok(c.points >= 2, `${c.id}: ${c.points} points`);
      assert.ok(
        Math.abs(c.drawn[0] - c.shown[0]) <= 1 && Math.abs(c.drawn[1] - c.shown[1]) <= 1,
        `${c.id}: drawn ${c.drawn} shown ${c.shown}`,
      );
    }
    assert.ok(charts[0].labels.includes("alice/sn9-gpt2-large (uid 1)"), JSON.stringify(charts[0].labels));

    // The story above each table: the winner, its margin, the bar for a newcomer; a failed step flagged.
    assert.match(
      await page.textContent("#c1 .summary") ?? "",
      /^uid 2 bob\/falcon-pretrain-v7 wins with loss 3\.\d{4}, 0\.\d{4} below the next best · on chain \(block 4310\) its incentive is 0\.6000, 0\.246000 τ per epoch · a model committed now must get under 3\.\d{4} \(uid \d's loss less its epsilon 0\.\d{5}\)$/,
    );
    assert.equal(await page.isVisible("#c1 .flag"), false, "competition 1's latest step completed");
    // Each row's incentive and emission from the last metagraph read: uid 1's neuron now has another hotkey.
    const paid = await page.$$eval('table[data-competition="1"] tbody tr[data-uid]', (trs) =>
      trs.map((tr) => [
        tr.getAttribute("data-uid"),
        tr.querySelector('td[data-label="incentive"]')?.textContent,
        tr.querySelector('td[data-label="emission τ"]')?.textContent,
      ]));
    assert.deepEqual(paid.find(([uid]) => uid === "2"), ["2", "0.6000", "0.246000"]);
    assert.deepEqual(paid.find(([uid]) => uid === "1"), ["1", "—", "—"]);
    assert.match(
      await page.textContent("#c2 .flag") ?? "",
      /^The latest step \(\d+, block 4300\) failed: data preparation failed: datasets-server 501 DatasetWithTooBigExternalFilesError/,
    );
    assert.equal(await page.isVisible("#c2 .flag"), true);
    // A copy's line is dashed and named, so it shows beside its original; the title gives the blocks drawn.
    const lines = await page.evaluate(() => {
      // deno-lint-ignore no-explicit-any
      const c = (globalThis as any).Chart.getChart("loss1");
      return {
        title: c.options.plugins.title.text as string,
        sets: c.data.datasets.map((d: { label: string; borderDash?: number[] }) => [d.label, d.borderDash ?? null]),
      };
    });
    assert.deepEqual(
      lines.sets.find(([label]: [string]) => label.startsWith("carol/copy-of-alice")),
      ["carol/copy-of-alice (uid 3) = uid 1", [6, 4]],
    );
    assert.deepEqual(lines.sets.find(([label]: [string]) => label.startsWith("alice/"))[1], null);
    assert.match(lines.title, /^Loss by block \(blocks \d+–\d+\)$/);
    // Repos stay whole on one line; each row's reason is a line of its own under it.
    const layout = await page.$$eval('table[data-competition="1"] tbody tr[data-uid]', (trs) =>
      trs.map((tr) => {
        const repo = tr.querySelector("td.repo")!, range = document.createRange();
        range.selectNodeContents(repo);
        const reason = tr.nextElementSibling as HTMLElement;
        return {
          repoLines: new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size,
          inlineWhy: getComputedStyle(tr.querySelector("td.inline-why")!).display,
          line: reason.classList.contains("why-line") ? reason.textContent : null,
          why: tr.querySelector("td.inline-why")!.textContent,
        };
      }));
    for (const l of layout) {
      assert.equal(l.repoLines, 1, JSON.stringify(l));
      assert.equal(l.inlineWhy, "none");
      assert.equal(l.line, l.why);
    }
    assert.ok(charts[1].labels.includes("bob/falcon-pretrain-v7"), JSON.stringify(charts[1].labels));

    // The adapter competition: its base and the base's loss, and each adapter's improvement on it.
    assert.match(
      await page.textContent("#c3 .base") ?? "",
      /PEFT adapters \(max rank 16, c_attn, c_proj, c_fc, DoRA allowed\) on the base sn9\/tiny-gpt2-base@\w{8}; its loss on the latest step's pages: 3\.5200/,
    );
    assert.deepEqual(
      await page.$$eval('table[data-competition="3"] thead th', (ths) => ths.map((th) => th.textContent).slice(4, 6)),
      ["loss", "vs base"],
    );
    const adapters = await page.$$eval('table[data-competition="3"] tbody tr[data-uid]', (trs) =>
      trs.map((tr) => [
        tr.getAttribute("data-uid"),
        tr.querySelector('td[data-label="vs base"]')?.textContent,
        tr.querySelector('td[data-label="why"]')?.textContent,
      ]));
    assert.deepEqual(adapters.map(([uid, gain]) => [uid, gain]), [["9", "+0.2200"], ["10", "+0.0000"], [
      "11",
      "−0.1800",
    ]]);
    assert.match(adapters[2][2]!, /^no better than the base \(loss 3\.5200, worse by 0\.1800\): no weight$/);

    // The pseudo-gradient competition: scored by its windows, so no epsilon or win-rate columns; its
    // training run above the table; the global model's held-out loss by window; the window's manifest.
    const heads = await page.$$eval('table[data-competition="4"] thead th', (ths) => ths.map((th) => th.textContent));
    assert.deepEqual(heads.filter((h) => h === "epsilon" || h === "win rate"), [], JSON.stringify(heads));
    assert.match(
      await page.textContent("#c4 .base") ?? "",
      /^One model trained together from sn9\/tiny-pseudograd-base@\w{8}: windows of 20 blocks from block 300, each update committed within 5 blocks after its window; 4 values kept per 64-wide chunk, in 16 levels$/,
    );
    assert.match(
      await page.textContent("#c4 .summary") ?? "",
      /^uid 12 pat\/pseudograd leads the last window with weight 0\.7000 · the global model's held-out loss by window: start 3\.9000 → w0 3\.7100 → w1 3\.5500$/,
    );
    const peers = await page.$$eval(
      'table[data-competition="4"] tbody tr[data-uid]',
      (trs) => trs.map((tr) => [tr.getAttribute("data-uid"), tr.querySelector('td[data-label="why"]')?.textContent]),
    );
    assert.match(peers.find(([uid]) => uid === "12")![1]!, /^g 7\.084e-3, b \+1, B 0\.1262, μ 29\.084/);
    assert.equal(peers.find(([uid]) => uid === "14")![1], "copy: 100.0% of its positions are uid 12's (mega)");
    assert.match(
      await page.textContent("#manifest") ?? "",
      /^step \d+ · competition 4 · block 4525window 1 · blocks 4500–4525 \(deadline\)seeds: start block 0x1a1a.*global G1g+= → next G2g+=3 peers' own sequences \(uid 12: 6, uid 13: 6, uid 14: 6\) · 8 random · 32 held-out$/,
    );
    // Its chart is the one model's held-out loss by window, not the peers' own losses on their own pages.
    const held = await page.evaluate(() => {
      // deno-lint-ignore no-explicit-any
      const c = (globalThis as any).Chart.getChart("loss4");
      return { title: c.options.plugins.title.text, points: c.data.datasets.map((d: { data: unknown[] }) => d.data) };
    });
    assert.deepEqual(held, {
      title: "The global model's held-out loss, window by window",
      points: [[{ x: 0, y: 3.9 }, { x: 1, y: 3.71 }, { x: 2, y: 3.55 }]],
    });
    assert.match(
      await page.textContent("#status") ?? "",
      /^block \d+ · updated /,
      "the page rendered without an error",
    );
    await shot("leaderboard-desktop.png");
  });
});

Deno.test("leaderboard at phone width: rows become cards with loss, weight and status on screen, nothing scrolls sideways", async () => {
  await withPage({ width: 390, height: 844, scale: 2 }, async (page, shot) => {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
    const cells = await page.$$eval('table[data-competition="1"] tbody tr:first-child td', (tds) =>
      tds.map((td) => {
        const r = td.getBoundingClientRect();
        return { label: td.getAttribute("data-label"), left: r.left, right: r.right, height: r.height };
      }));
    // Every competition of the schedule (four) starts folded to its header; its table opens on a tap.
    assert.deepEqual(await page.$$eval("details.rows", (ds) => ds.map((d) => (d as HTMLDetailsElement).open)), [
      false,
      false,
      false,
      false,
    ]);
    assert.equal(await page.isVisible("#c1 .summary"), true, "the header shows while folded");
    await page.click("#c1 details.rows > summary");
    await page.click("#c3 details.rows > summary");
    assert.equal(
      await page.$eval('table[data-competition="1"] tr.why-line', (tr) => getComputedStyle(tr).display),
      "none",
      "on a phone the reason is a field of the card, not a second row",
    );
    const repoLines = await page.$$eval('table[data-competition="1"] td.repo', (tds) =>
      tds.map((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      }));
    assert.deepEqual(repoLines, repoLines.map(() => 1), "no repo name is broken on a phone either");
    for (const label of ["loss", "weight", "status", "why"]) {
      const c = cells.find((x) => x.label === label)!;
      assert.ok(c && c.left >= 0 && c.right <= 390 && c.height > 0, `${label} is on screen: ${JSON.stringify(c)}`);
    }
    assert.equal(await page.$eval('table[data-competition="1"] thead', (t) => getComputedStyle(t).display), "none");
    const label = await page.$eval(
      'table[data-competition="1"] td[data-label="weight"]',
      (td) => getComputedStyle(td, "::before").content,
    );
    assert.equal(label, '"weight"', "each value carries its column's name");
    const gain = await page.$eval('table[data-competition="3"] tbody tr:first-child td[data-label="vs base"]', (td) => {
      const r = td.getBoundingClientRect();
      return {
        text: td.textContent,
        on: r.left >= 0 && r.right <= 390,
        label: getComputedStyle(td, "::before").content,
      };
    });
    assert.deepEqual(gain, { text: "+0.2200", on: true, label: '"vs base"' });
    await shot("leaderboard-phone.png");
  });
});
