/**
 * The leaderboard page: one table per competition (best first), a chart of each model's loss
 * over time, win-rate and weight bars, and the latest manifest. It polls the JSON API every
 * 5 seconds, so it follows the validator without reloading. Charts: Chart.js from /assets.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SN9 leaderboard</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 1100px; padding: 1rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .2rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
  .muted { color: #5b6570; font-size: .85rem; }
  .card { background: #fff; border-radius: 8px; padding: .8rem; margin-bottom: 1rem; box-shadow: 0 1px 2px #0001; overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; font-size: .85rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e6ea; white-space: nowrap; }
  td.reason { white-space: normal; max-width: 28rem; color: #8a2b2b; }
  tr.best td { font-weight: 600; }
  .charts { display: grid; grid-template-columns: 2fr 1fr; gap: 1rem; }
  @media (max-width: 800px) { .charts { grid-template-columns: 1fr; } }
  canvas { width: 100% !important; height: 260px !important; }
  code { font-size: .8rem; word-break: break-all; }
</style>
</head>
<body>
<h1>SN9 pretraining leaderboard</h1>
<div class="muted" id="status">loading…</div>
<div id="competitions"></div>
<h2>Latest evaluation manifest</h2>
<div class="card" id="manifest"></div>
<script src="/assets/chart.js"></script>
<script>
const charts = {};
const fmt = (x, d = 4) => x === null || x === undefined ? "—" : Number(x).toFixed(d);
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
function chart(id, config) {
  if (charts[id]) { charts[id].data = config.data; charts[id].update("none"); return charts[id]; }
  charts[id] = new Chart(document.getElementById(id), config);
  return charts[id];
}
async function refresh() {
  const { block, competitions } = await (await fetch("/api/competitions")).json();
  const root = document.getElementById("competitions");
  for (const c of competitions) {
    const board = await (await fetch("/api/leaderboard?competition=" + c.id)).json();
    let section = document.getElementById("c" + c.id);
    if (!section) {
      section = document.createElement("section");
      section.id = "c" + c.id;
      section.innerHTML = '<h2></h2><div class="card"><table data-competition="' + c.id + '"><thead><tr><th>uid</th><th>repo</th><th>commit</th><th>block</th><th>loss</th><th>per task</th><th>epsilon</th><th>win rate</th><th>weight</th><th>status</th></tr></thead><tbody></tbody></table></div>' +
        '<div class="charts"><div class="card"><canvas id="loss' + c.id + '"></canvas></div><div class="card"><canvas id="bars' + c.id + '"></canvas></div></div>';
      root.appendChild(section);
    }
    section.querySelector("h2").textContent = "Competition " + c.id + " · " + c.name + " · " + Math.round(c.rewardShare * 100) + "% of rewards" + (board.step ? " · step " + board.step.id + " at block " + board.step.block : "");
    section.querySelector("tbody").innerHTML = board.rows.map((r, i) =>
      '<tr class="' + (i === 0 && r.weight > 0 ? "best" : "") + '" data-uid="' + r.uid + '"><td>' + r.uid + '</td><td>' + esc(r.repo) + '</td><td><code>' + esc(r.commit.slice(0, 8)) + '</code></td><td>' + r.commitBlock +
      '</td><td>' + fmt(r.loss) + '</td><td>' + esc(Object.entries(r.taskLosses).map(([k, v]) => k + " " + fmt(v, 3)).join(", ")) + '</td><td>' + fmt(r.epsilon, 5) +
      '</td><td>' + fmt(r.winRate, 3) + '</td><td>' + fmt(r.weight) + '</td><td class="' + (r.reason ? "reason" : "") + '">' + esc(r.status) + (r.reason ? ": " + esc(r.reason) : "") + '</td></tr>').join("");
    chart("loss" + c.id, {
      type: "line",
      data: { datasets: board.series.map((s) => ({ label: "uid " + s.uid, data: s.points.map((p) => ({ x: p.block, y: p.loss })), tension: 0.2 })) },
      options: { animation: false, parsing: true, scales: { x: { type: "linear", title: { display: true, text: "block" } }, y: { title: { display: true, text: "loss" } } }, plugins: { title: { display: true, text: "Loss over time" } } },
    });
    const scored = board.rows.filter((r) => r.winRate !== null);
    chart("bars" + c.id, {
      type: "bar",
      data: { labels: scored.map((r) => "uid " + r.uid), datasets: [{ label: "win rate", data: scored.map((r) => r.winRate) }, { label: "weight", data: scored.map((r) => r.weight) }] },
      options: { animation: false, scales: { y: { min: 0, max: 1 } }, plugins: { title: { display: true, text: "Win rate and weight" } } },
    });
  }
  const { manifests } = await (await fetch("/api/manifests?limit=1")).json();
  const m = manifests[0];
  document.getElementById("manifest").innerHTML = m
    ? "step " + m.stepId + " · competition " + m.competitionId + " · block " + m.block + "<br>seed <code>" + esc(m.manifest.seed) + "</code><br>" +
      m.manifest.tasks.map((t) => esc(t.taskId) + ": " + esc(t.hfDataset) + " pages " + t.pages.map((p) => esc(p.config) + "@" + p.offset).join(", ") + " · " + t.documents + " documents, " + t.tokens + " tokens, stream <code>" + esc(t.streamSha256.slice(0, 16)) + "…</code>").join("<br>")
    : "no step yet";
  document.getElementById("status").textContent = "block " + block + " · updated " + new Date().toLocaleTimeString() + " · refreshes every 5 s";
  document.body.dataset.ready = "true";
}
refresh().catch((e) => (document.getElementById("status").textContent = "error: " + e.message));
setInterval(() => refresh().catch((e) => (document.getElementById("status").textContent = "error: " + e.message)), 5000);
</script>
</body>
</html>
`;
