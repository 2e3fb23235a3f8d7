/**
 * The leaderboard page: how scoring works, one table per competition (best first, each row saying
 * why it earns what it earns), a chart of each model's loss over time and win-rate and weight bars
 * (legends name repos; charts drawn at the size they are shown), the commitments the validator
 * ignores and the turns that failed, and the latest manifest. Below 720 px wide each row becomes a
 * card, so loss, weight and status stay on screen. It polls the JSON API every 5 seconds.
 * Everything from the state is inserted as text (escaped), never as markup.
 */
/** The page's icon: a podium, as an SVG. */
export const FAVICON_SVG =
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1b1f24"/>` +
  `<rect x="12" y="8" width="8" height="18" fill="#3b82f6"/><rect x="4" y="14" width="8" height="12" fill="#93c5fd"/>` +
  `<rect x="20" y="18" width="8" height="8" fill="#bfdbfe"/></svg>`;

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SN9 leaderboard</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
  :root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 1180px; padding: 1rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .2rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
  .muted { color: #5b6570; font-size: .85rem; }
  .card { background: #fff; border-radius: 8px; padding: .8rem; margin-bottom: 1rem; box-shadow: 0 1px 2px #0001; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; font-size: .85rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e6ea; white-space: nowrap; vertical-align: top; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.why { white-space: normal; min-width: 18rem; color: #38414a; }
  td .next { color: #666; font-size: 0.85em; margin-top: 0.2rem; }
  td.reason { white-space: normal; min-width: 18rem; color: #8a2b2b; overflow-wrap: anywhere; }
  tr.best td { font-weight: 600; }
  details summary { cursor: pointer; font-weight: 600; }
  details p, details li { font-size: .9rem; line-height: 1.4; }
  .charts { display: grid; grid-template-columns: 2fr 1fr; gap: 1rem; }
  .charts > .card { min-width: 0; }
  .chart { position: relative; height: 280px; }
  code { font-size: .8rem; overflow-wrap: anywhere; }
  td.wide { white-space: normal; overflow-wrap: anywhere; }
  td.repo { white-space: nowrap; overflow-wrap: normal; }
  th.why-col, td.inline-why { display: none; }
  tr.why-line td { white-space: normal; color: #38414a; border-bottom: 1px solid #e3e6ea; padding-top: 0; font-size: .8rem; }
  tr.why-line td.reason { color: #8a2b2b; }
  tr.has-why td { border-bottom: 0; }
  .summary { margin: -.3rem 0 .6rem; font-size: .9rem; line-height: 1.4; }
  .summary b { font-variant-numeric: tabular-nums; }
  details.rows > summary { margin-bottom: .5rem; }
  .flag { background: #fde8e8; color: #8a2b2b; border-radius: 6px; padding: .4rem .6rem; margin: 0 0 .6rem; font-size: .85rem; overflow-wrap: anywhere; }
  @media (max-width: 720px) {
    body { padding: .6rem; }
    .charts { grid-template-columns: 1fr; }
    .chart { height: 240px; }
    table.board thead { display: none; }
    table.board, table.board tbody { display: block; width: auto; }
    table.board tr { display: grid; grid-template-columns: 1fr 1fr; column-gap: 1rem; border: 1px solid #e3e6ea; border-radius: 6px; margin-bottom: .6rem; padding: .3rem .5rem; }
    table.board td { display: flex; justify-content: space-between; gap: .5rem; border: 0; padding: .15rem 0; white-space: normal; text-align: right; min-width: 0; }
    table.board td::before { content: attr(data-label); font-weight: 600; color: #5b6570; text-align: left; flex: none; }
    table.board td.wide, table.board td.why { grid-column: 1 / -1; display: block; text-align: left; max-width: none; min-width: 0; }
    table.board td.wide::before, table.board td.why::before { content: attr(data-label) ": "; display: inline; }
    table.board td.repo { white-space: normal; overflow-wrap: break-word; }
    table.board tr.why-line { display: none; }
  }
</style>
</head>
<body>
<h1>SN9 pretraining leaderboard</h1>
<div class="muted" id="status">loading…</div>
<details class="card" id="how" open>
<summary>How scoring works</summary>
<ul>
<li><b>Loss.</b> Every step, the validator draws pages of the competition's datasets from the block hash, packs them into sequences, and measures each model's mean next-token loss on the same tokens. Lower is better.</li>
<li><b>Epsilon: the earlier model's advantage.</b> When two models meet, the one committed at the earlier block has its loss multiplied by (1 − epsilon). Epsilon starts at <span id="eps-start">start</span> when a model is committed and decays to <span id="eps-end">end</span> over <span id="eps-blocks">N</span> blocks. A newcomer must be better by that margin; a copy of the leader, with the leader's exact loss but a later block, never wins.</li>
<li><b>Not competitive.</b> A model that could not beat an earlier one even once that model's epsilon has decayed to its end value takes no part in the wins (it could only take wins from others).</li>
<li><b>Adapter competitions.</b> Miners publish PEFT LoRA or DoRA adapters for a pinned base model. The validator scores the base on the same pages in the same step; an adapter takes part only if its loss beats the base's by the base's epsilon (the base counts as committed when the competition began). The <i>vs base</i> column is the base's loss minus the adapter's.</li>
<li><b>Pseudo-gradient competitions.</b> Miners train one shared model together: each window, each sends a compressed update of the global checkpoint. The validator measures every update by the loss it takes off the miner's own hidden pages (g) and whether it helps on common random pages (b), rates the miners against each other with OpenSkill (μ, σ), and pays ordinal · max(0, B), B a moving average of b. Copies, late, missing and broken files are slashed with their reason; the best miners' updates, each clipped to the median norm, make the next global checkpoint, whose held-out loss the header follows window by window. Epsilon and win rates play no part there.</li>
<li><b>Win rate.</b> The share of the other competing models a model beats.</li>
<li><b>Weight.</b> softmax(win rate / 0.01): a win rate 0.25 below the best earns about e<sup>−25</sup> of the best's weight, so in practice only the best win rate is paid. Step weights feed a moving average per competition, and competitions share the subnet's weights by their reward share.</li>
</ul>
<p class="muted">The <i>why</i> column says which of these rules decided each model's weight, or why a model has no loss.</p>
</details>
<div id="competitions"></div>
<h2>Ignored commitments</h2>
<div class="card scroll" id="ignored"></div>
<h2>Turns that failed</h2>
<div class="card scroll" id="failed"></div>
<h2>Latest evaluation manifest</h2>
<div class="card" id="manifest"></div>
<script src="/assets/chart.js"></script>
<script>
const charts = {};
if (innerWidth < 720) document.getElementById("how").open = false; // on a phone the panel opens on a tap
const fmt = (x, d = 4) => x === null || x === undefined ? "—" : Number(x).toFixed(d);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const td = (label, html, cls = "") => '<td data-label="' + label + '"' + (cls ? ' class="' + cls + '"' : "") + ">" + html + "</td>";
function chart(id, config) {
  config.options = { ...config.options, responsive: true, maintainAspectRatio: false, animation: false };
  if (charts[id]) { charts[id].data = config.data; charts[id].update("none"); return charts[id]; }
  charts[id] = new Chart(document.getElementById(id), config);
  return charts[id];
}
// A pseudo-gradient competition is scored by its windows (g, b, B, μ, σ: the why column), not by epsilon and win rates.
const columns = (kind) => ["uid", "repo", "commit", "block", "loss", ...(kind === "adapter" ? ["vs base"] : []), "per task",
  ...(kind === "pseudograd" ? [] : ["epsilon", "win rate"]), "weight", "incentive", "emission τ", "status", "why"];
/** Each series' dash: a line whose losses repeat an earlier-committed model's is dashed, so both show. */
function copyOf(series, rows) {
  const block = new Map(rows.map((r) => [r.uid, r.commitBlock]));
  const key = (s) => JSON.stringify(s.points.map((p) => [p.block, p.loss]));
  return series.map((s) => series.find((o) => o !== s && key(o) === key(s) &&
    ((block.get(o.uid) ?? 0) < (block.get(s.uid) ?? 0) || ((block.get(o.uid) ?? 0) === (block.get(s.uid) ?? 0) && o.uid < s.uid))));
}
const signed = (x) => x === null || x === undefined ? "—" : (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(4);
function row(r, best, kind) {
  // A model without a loss is explained by its reason; a scored one by the scoring rule that decided its weight.
  // On a wide screen the reason is a line of its own under the row; on a phone, a field of the row's card.
  const why = (r.reason ? esc(r.reason) : esc(r.explanation ?? (r.status === "pending" ? "waiting for its evaluation" : "not in the latest step"))) +
    (r.next ? '<div class="next">next step: ' + esc(r.next) + "</div>" : "");
  const span = columns(kind).length - 2; // the visible columns but uid (the why column is hidden here)
  return '<tr class="has-why' + (best ? " best" : "") + '" data-uid="' + r.uid + '">' +
    td("uid", r.uid, "num") + td("repo", esc(r.repo), "wide repo") + td("commit", "<code>" + esc(r.commit.slice(0, 8)) + "</code>") +
    td("block", r.commitBlock, "num") + td("loss", fmt(r.loss), "num") +
    (kind === "adapter" ? td("vs base", signed(r.improvement), "num") : "") +
    td("per task", esc(Object.entries(r.taskLosses).map(([k, v]) => k + " " + fmt(v, 3)).join(", ")), "wide") +
    (kind === "pseudograd" ? "" : td("epsilon", fmt(r.epsilon, 5), "num") + td("win rate", fmt(r.winRate, 3), "num")) +
    td("weight", fmt(r.weight), "num") +
    td("incentive", fmt(r.incentive), "num") + td("emission τ", fmt(r.emission, 6), "num") + td("status", esc(r.status)) + td("why", why, r.reason ? "why reason inline-why" : "why inline-why") +
    '</tr><tr class="why-line"><td></td><td colspan="' + span + '"' + (r.reason ? ' class="reason"' : "") + ">" + why + "</td></tr>";
}
/** The competition's header: its winner, the margin, the bar a newcomer must get under, and a failed step. */
function summaryHtml(s) {
  const parts = [];
  if (s.winner && s.heldOut) {
    parts.push("<b>uid " + s.winner.uid + "</b> " + esc(s.winner.repo) + " leads the last window with weight <b>" + fmt(s.winner.weight) + "</b>");
  } else if (s.winner) {
    parts.push("<b>uid " + s.winner.uid + "</b> " + esc(s.winner.repo) + " wins with loss <b>" + fmt(s.winner.loss) + "</b>" +
      (s.margin === null ? "" : s.margin >= 0 ? ", " + fmt(s.margin) + " below the next best"
        : ", holding on by its epsilon (the next best is " + fmt(-s.margin) + " lower)"));
  } else parts.push("no model earns weight yet");
  if (s.winner && s.winner.incentive !== null) {
    parts.push("on chain (block " + s.onChainBlock + ") its incentive is <b>" + fmt(s.winner.incentive) + "</b>, " + fmt(s.winner.emission, 6) + " τ per epoch");
  }
  if (s.heldOut) {
    parts.push("the global model's held-out loss by window: " +
      s.heldOut.map((h) => (h.window < 0 ? "start " : "w" + h.window + " ") + "<b>" + fmt(h.loss) + "</b>").join(" → "));
  }
  if (s.bar) {
    parts.push("a model committed now must get under <b>" + fmt(s.bar.loss) + "</b> (uid " + s.bar.uid + "'s loss less its epsilon " + fmt(s.bar.epsilon, 5) + ")");
  }
  return parts.join(" · ");
}
async function refresh() {
  const { block, competitions } = await (await fetch("/api/competitions")).json();
  if (competitions[0]) {
    const e = competitions[0].epsilon;
    document.getElementById("eps-start").textContent = e.start;
    document.getElementById("eps-end").textContent = e.end;
    document.getElementById("eps-blocks").textContent = e.decayBlocks.toLocaleString("en");
  }
  const root = document.getElementById("competitions");
  for (const c of competitions) {
    const board = await (await fetch("/api/leaderboard?competition=" + c.id)).json();
    let section = document.getElementById("c" + c.id);
    if (!section) {
      section = document.createElement("section");
      section.id = "c" + c.id;
      section.innerHTML = '<h2></h2><div class="summary"></div><div class="flag" hidden></div><div class="muted base"></div>' +
        // On a phone every competition starts folded to its header; a tap opens its table and charts.
        '<details class="rows"' + (innerWidth < 720 ? "" : " open") + '><summary class="muted"></summary><div class="card scroll"><table class="board" data-competition="' + c.id + '"><thead><tr>' +
        columns(c.kind).map((h) => "<th" + (h === "why" ? ' class="why-col"' : "") + ">" + h + "</th>").join("") + '</tr></thead><tbody></tbody></table></div>' +
        '<div class="charts"><div class="card"><div class="chart"><canvas id="loss' + c.id + '"></canvas></div></div>' +
        '<div class="card"><div class="chart"><canvas id="bars' + c.id + '"></canvas></div></div></div></details>';
      root.appendChild(section);
    }
    section.querySelector("h2").textContent = "Competition " + c.id + " · " + c.name + " · " + Math.round(c.rewardShare * 100) + "% of rewards" +
      (board.step ? " · step " + board.step.id + " at block " + board.step.block : " · no completed step yet");
    section.querySelector(".summary").innerHTML = summaryHtml(board.summary);
    const noun = c.kind === "pseudograd" ? "peer" : "model";
    section.querySelector("details.rows > summary").textContent = board.rows.length + " " + noun + (board.rows.length === 1 ? "" : "s") + ": table and charts";
    const flag = section.querySelector(".flag");
    flag.hidden = !board.summary.failed;
    flag.textContent = board.summary.failed ? "The latest step (" + board.summary.failed.stepId + ", block " + board.summary.failed.block +
      ") failed: " + (board.summary.failed.reason ?? "no reason recorded") + ". The table shows the last completed step." : "";
    const adapters = c.kind === "adapter", p = c.pseudograd;
    section.querySelector(".base").textContent = p ? "One model trained together from " + p.base.repo + "@" + p.base.revision.slice(0, 8) +
      ": windows of " + p.windowBlocks + " blocks from block " + p.startBlock + ", each update committed within " + p.putBlocks + " blocks after its window; " +
      p.codec.topk + " values kept per " + p.codec.chunk + "-wide chunk, in " + p.codec.bins + " levels" : !adapters ? "" : "PEFT adapters (max rank " + c.adapter.maxRank + ", " +
      c.adapter.targetModules.join(", ") + (c.adapter.dora ? ", DoRA allowed" : "") + ") on the base " + c.adapter.base.repo + "@" +
      c.adapter.base.revision.slice(0, 8) + (board.base ? "; its loss on the latest step's pages: " + fmt(board.base.loss) : "");
    section.querySelector("tbody").innerHTML = board.rows.map((r, i) => row(r, i === 0 && r.weight > 0, c.kind)).join("");
    const copies = copyOf(board.series, board.rows);
    const blocks = board.series.flatMap((s) => s.points.map((p) => p.block));
    const [lo, hi] = [Math.min(...blocks), Math.max(...blocks)];
    const range = !blocks.length ? "no evaluations since block " + board.seriesSince : lo === hi ? "block " + lo : "blocks " + lo + "–" + hi;
    // A pseudo-gradient competition trains one model: its curve is the global model's held-out loss by
    // window (each peer's own loss is on its own pages, so the peers' lines would not compare).
    if (c.kind === "pseudograd") {
      const held = board.summary.heldOut ?? [];
      chart("loss" + c.id, {
        type: "line",
        data: { datasets: [{ label: "global model, held-out pages", data: held.map((h) => ({ x: h.window + 1, y: h.loss })), tension: 0.2 }] },
        options: { parsing: true, scales: { x: { type: "linear", ticks: { stepSize: 1 }, title: { display: true, text: "windows applied" } }, y: { title: { display: true, text: "held-out loss" } } }, plugins: { title: { display: true, text: held.length ? "The global model's held-out loss, window by window" : "no window evaluated yet" }, legend: { labels: { boxWidth: 12 } } } },
      });
    } else chart("loss" + c.id, {
      type: "line",
      data: { datasets: board.series.map((s, i) => ({
        label: s.repo + " (uid " + s.uid + ")" + (copies[i] ? " = uid " + copies[i].uid : ""),
        data: s.points.map((p) => ({ x: p.block, y: p.loss })),
        tension: 0.2,
        borderDash: copies[i] ? [6, 4] : undefined,
        borderWidth: copies[i] ? 3 : 2,
      })) },
      options: { parsing: true, scales: { x: { type: "linear", title: { display: true, text: "block" } }, y: { title: { display: true, text: "loss" } } }, plugins: { title: { display: true, text: "Loss by block (" + range + ")" }, legend: { labels: { boxWidth: 12 } } } },
    });
    const scored = board.rows.filter((r) => r.winRate !== null);
    chart("bars" + c.id, {
      type: "bar",
      data: { labels: scored.map((r) => r.repo), datasets: [
        ...(c.kind === "pseudograd" ? [] : [{ label: "win rate", data: scored.map((r) => r.winRate) }]),
        { label: "weight", data: scored.map((r) => r.weight) },
      ] },
      options: { scales: { y: { min: 0, max: 1 } }, plugins: { title: { display: true, text: c.kind === "pseudograd" ? "Weight, latest window" : "Win rate and weight, latest step" } } },
    });
  }
  const { ignored } = await (await fetch("/api/ignored")).json();
  document.getElementById("ignored").innerHTML = ignored.length === 0
    ? '<span class="muted">none: every commitment parses and names a competition in force</span>'
    : '<table class="board" id="ignored-table"><thead><tr><th>uid</th><th>block</th><th>commitment</th><th>why it is ignored</th></tr></thead><tbody>' +
      ignored.map((x) => '<tr data-uid="' + x.uid + '">' + td("uid", x.uid, "num") + td("block", x.commitBlock, "num") + td("commitment", "<code>" + esc(x.commitment) + "</code>", "wide") + td("why", esc(x.reason), "why reason") + "</tr>").join("") +
      "</tbody></table>";
  const { failed } = await (await fetch("/api/failed-steps?limit=10")).json();
  document.getElementById("failed").innerHTML = failed.length === 0
    ? '<span class="muted">none</span>'
    : '<table class="board" id="failed-table"><thead><tr><th>step</th><th>competition</th><th>block</th><th>reason</th></tr></thead><tbody>' +
      failed.map((f) => "<tr>" + td("step", f.stepId, "num") + td("competition", f.competitionId, "num") + td("block", f.block, "num") + td("reason", esc(f.reason), "why reason") + "</tr>").join("") +
      "</tbody></table>";
  const { manifests } = await (await fetch("/api/manifests?limit=1")).json();
  const m = manifests[0];
  document.getElementById("manifest").innerHTML = !m ? "no step yet"
    : "step " + m.stepId + " · competition " + m.competitionId + " · block " + m.block + "<br>" +
      (Array.isArray(m.manifest.tasks) ? modelManifest(m.manifest) : windowManifest(m.manifest));
  document.getElementById("status").textContent = "block " + block + " · updated " + new Date().toLocaleTimeString() + " · refreshes every 5 s";
  document.body.dataset.ready = "true";
}
/** A model step's pages and streams. */
function modelManifest(m) {
  return "seed <code>" + esc(m.seed) + "</code><br>" +
    m.tasks.map((t) => esc(t.taskId) + ": " + esc(t.hfDataset) + " pages " + t.pages.map((p) => esc(p.config) + "@" + p.offset).join(", ") + " · " + t.documents + " documents, " + t.tokens + " tokens, stream <code>" + esc(t.streamSha256.slice(0, 16)) + "…</code>").join("<br>");
}
/** A pseudo-gradient window's blocks, seeds, checkpoints and how many sequences of each kind. */
function windowManifest(m) {
  const own = Object.entries(m.ownSequences ?? {});
  return "window " + esc(m.window) + " · blocks " + esc(m.startBlock) + "–" + esc(m.deadlineBlock) + " (deadline)<br>" +
    "seeds: start block <code>" + esc(String(m.startBlockHash).slice(0, 18)) + "…</code>, deadline block <code>" + esc(String(m.deadlineBlockHash).slice(0, 18)) + "…</code><br>" +
    "global <code>" + esc(m.globalHash) + "</code> → next <code>" + esc(m.nextHash ?? "none (nothing gathered)") + "</code><br>" +
    own.length + " peers' own sequences (" + own.map(([uid, n]) => "uid " + esc(uid) + ": " + esc(n)).join(", ") + ") · " +
    esc(m.randomSequences) + " random · " + esc(m.heldOutSequences) + " held-out";
}
refresh().catch((e) => (document.getElementById("status").textContent = "error: " + e.message));
setInterval(() => refresh().catch((e) => (document.getElementById("status").textContent = "error: " + e.message)), 5000);
</script>
</body>
</html>
`;
