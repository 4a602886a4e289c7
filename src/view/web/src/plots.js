// The run's plots, drawn with Chart.js from a report.json (fit, refine or reconstruct) and, for refine --ablation,
// its ablation.json. Shared by the viewer's panel and report.html. Returns the number of plots drawn.
import {
  Chart, LineController, BarController, LineElement, BarElement, PointElement, LinearScale, CategoryScale,
  Legend, Title, Tooltip,
} from "chart.js";

Chart.register(LineController, BarController, LineElement, BarElement, PointElement, LinearScale, CategoryScale,
  Legend, Title, Tooltip);

const BLUE = "#2a6fb0", ORANGE = "#e07b20", GREEN = "#3a9a4a", GREY = "#888";

function addCanvas(container, title) {
  const box = document.createElement("div");
  box.className = "plot";
  box.dataset.plot = title;
  const canvas = document.createElement("canvas");
  box.appendChild(canvas);
  container.appendChild(box);
  return canvas;
}

function chart(container, title, config) {
  const canvas = addCanvas(container, title);
  config.options = Object.assign({ animation: false, responsive: true }, config.options || {});
  config.options.plugins = Object.assign({ title: { display: true, text: title } }, config.options.plugins || {});
  return new Chart(canvas, config);
}

function historyPlot(container, history) {
  const rows = history.filter((h) => typeof h.step === "number");
  if (rows.length === 0) return 0;
  const datasets = [];
  if (rows.some((h) => typeof h.loss === "number"))
    datasets.push({ label: "loss", data: rows.map((h) => ({ x: h.step, y: h.loss })), borderColor: ORANGE,
      yAxisID: "loss", pointRadius: 2 });
  for (const [key, color] of [["test_psnr", BLUE], ["train_psnr", GREEN]])
    if (rows.some((h) => typeof h[key] === "number"))
      datasets.push({ label: key.replace("_", " ") + " (dB)", data: rows.filter((h) => typeof h[key] === "number")
        .map((h) => ({ x: h.step, y: h[key] })), borderColor: color, yAxisID: "psnr", pointRadius: 2 });
  if (datasets.length === 0) return 0;
  chart(container, "Loss and PSNR over steps", {
    type: "line", data: { datasets },
    options: { scales: { x: { type: "linear", title: { display: true, text: "step" } },
      loss: { type: "linear", position: "right", display: datasets.some((d) => d.yAxisID === "loss") },
      psnr: { type: "linear", position: "left", title: { display: true, text: "dB" } } } },
  });
  return 1;
}

function perImagePlot(container, metrics) {
  let n = 0;
  for (const split of ["test", "train", "val"]) {
    const m = metrics && metrics[split];
    if (!m || !Array.isArray(m.per_image) || m.per_image.length === 0) continue;
    chart(container, `PSNR per ${split} image`, {
      type: "bar",
      data: { labels: m.per_image.map((r) => r.name.split("/").pop()),
        datasets: [{ label: "PSNR (dB)", data: m.per_image.map((r) => r.psnr), backgroundColor: BLUE }] },
      options: { plugins: { legend: { display: false } } },
    });
    ++n;
  }
  return n;
}

function stagesPlot(container, stages) {
  if (!Array.isArray(stages) || stages.length === 0) return 0;
  const labels = stages.map((s) => s.name);
  const withVal = stages.some((s) => s.val_psnr);
  const datasets = withVal
    ? [{ label: "held-out PSNR before (dB)", data: stages.map((s) => s.val_psnr ? s.val_psnr.start : null), backgroundColor: GREY },
       { label: "held-out PSNR after (dB)", data: stages.map((s) => s.val_psnr ? s.val_psnr.end : null), backgroundColor: BLUE }]
    : [{ label: "loss at start", data: stages.map((s) => s.start_loss), backgroundColor: GREY },
       { label: "best loss", data: stages.map((s) => s.best_loss), backgroundColor: ORANGE }];
  chart(container, "Refinement stages", { type: "bar", data: { labels, datasets } });
  return 1;
}

function ablationPlot(container, ablation) {
  if (!ablation || !Array.isArray(ablation.rows) || ablation.rows.length === 0) return 0;
  const rows = ablation.rows;
  const datasets = [{ label: "train PSNR (dB)", data: rows.map((r) => r.train ? r.train.psnr : null), backgroundColor: ORANGE }];
  if (rows.some((r) => r.val)) datasets.push({ label: "held-out PSNR (dB)", data: rows.map((r) => r.val ? r.val.psnr : null), backgroundColor: BLUE });
  chart(container, "Ablation ladder", { type: "bar", data: { labels: rows.map((r) => r.name), datasets } });
  const table = document.createElement("table");
  table.className = "ladder";
  const fmt = (v, d) => (typeof v === "number" ? v.toFixed(d) : "");
  table.innerHTML = "<tr><th>row</th><th>train PSNR</th><th>train SSIM</th><th>held-out PSNR</th><th>held-out SSIM</th><th>time (s)</th></tr>" +
    rows.map((r) => `<tr><td style="text-align:left">${r.name}</td><td>${fmt(r.train && r.train.psnr, 2)}</td>` +
      `<td>${fmt(r.train && r.train.ssim, 4)}</td><td>${fmt(r.val && r.val.psnr, 2)}</td><td>${fmt(r.val && r.val.ssim, 4)}</td>` +
      `<td>${fmt(r.time_s, 1)}</td></tr>`).join("");
  container.appendChild(table);
  return 1;
}

function learnedPlot(container, report) {
  if (!Array.isArray(report.baselines) || report.baselines.length === 0) return 0;
  const test = report.metrics && report.metrics.test;
  const rows = [{ method: `learned (${report.iters} steps)`, psnr: test ? test.psnr : null, time: report.time_s }];
  if (report.hybrid) rows.push({ method: report.hybrid.method, psnr: report.hybrid.test_psnr, time: report.hybrid.time_s });
  for (const b of report.baselines)
    rows.push({ method: `${b.method.startsWith("full-batch") ? "full-batch Adam" : "ttgs fit"} (${b.steps} steps)`,
      psnr: b.test_psnr, time: b.time_s });
  chart(container, "Learned optimizer vs Adam", {
    type: "bar",
    data: { labels: rows.map((r) => r.method), datasets: [
      { label: "test PSNR (dB)", data: rows.map((r) => r.psnr), backgroundColor: BLUE, yAxisID: "psnr" },
      { label: "time (s)", data: rows.map((r) => r.time), backgroundColor: GREY, yAxisID: "time" }] },
    options: { scales: { psnr: { position: "left" }, time: { position: "right" } } },
  });
  return 1;
}

export function drawPlots(container, report, ablation) {
  if (!report) return 0;
  let n = 0;
  n += historyPlot(container, Array.isArray(report.history) ? report.history : []);
  n += stagesPlot(container, report.stages);
  n += ablationPlot(container, ablation);
  n += learnedPlot(container, report);
  n += perImagePlot(container, report.metrics && report.metrics.after ? report.metrics.after : report.metrics);
  return n;
}
