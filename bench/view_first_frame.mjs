// The viewer's figures in headless Chromium (software WebGL): seconds from starting `ttgs view PATH` to the first
// complete frame (the server's start plus the page's time from navigation to its ready mark), the page's milestones,
// and frames per second of continuous rendering. Usage:
//   node bench/view_first_frame.mjs TTGS PATH [PATH...]   (TTGS_VIEW_SIZE=WxH, default 1280x720; FPS_SECONDS=5)
import path from "node:path";
import { launchBrowser, openPage, startViewer, stopViewer } from "../tests/view/browser.mjs";

const [ttgs, ...paths] = process.argv.slice(2);
if (!ttgs || paths.length === 0) { console.error("usage: node bench/view_first_frame.mjs TTGS PATH [PATH...]"); process.exit(2); }
const [width, height] = (process.env.TTGS_VIEW_SIZE || "1280x720").split("x").map(Number);
const fpsSeconds = Number(process.env.FPS_SECONDS || 5);
const browser = await launchBrowser();
for (const p of paths) {
  const start = Date.now();
  const viewer = await startViewer(path.resolve(ttgs), [path.resolve(p)]);
  const serverSeconds = (Date.now() - start) / 1000;
  const { page, errors } = await openPage(browser, viewer.url, { width, height }, 600000);
  const firstFrame = (Date.now() - start) / 1000;
  const manifest = await page.evaluate(async () => (await fetch("/api/manifest")).json());
  const timings = await page.evaluate(() => window.ttgsTimings);
  const fps = await page.evaluate((s) => window.ttgsMeasureFps(s), fpsSeconds);
  console.log(JSON.stringify({ path: p, num_gaussians: manifest.num_gaussians, window: `${width}x${height}`,
    // From starting ttgs view to the first complete frame: the server's start, then the page's own clock from
    // navigation to its ready mark (the harness notices it later, by polling: noticed_s).
    server_ready_s: +serverSeconds.toFixed(2), first_frame_s: +(serverSeconds + timings.ready).toFixed(2),
    noticed_s: +firstFrame.toFixed(2), fps: +fps.toFixed(2),
    page_s: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, +v.toFixed(2)])),
    console_errors: errors.length }));
  await page.close();
  await stopViewer(viewer);
}
await browser.close();
