// report.html's script: the plots from the report data embedded in the page (no network access needed).
import { drawPlots } from "./plots.js";

const data = JSON.parse(document.getElementById("ttgs-report-data").textContent);
const n = drawPlots(document.getElementById("plots"), data.report, data.ablation);
document.body.dataset.plots = String(n);
document.body.dataset.ready = "1";
