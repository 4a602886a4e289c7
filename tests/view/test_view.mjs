// `ttgs view` and report.html in a real headless browser (Debian's Chromium, software WebGL, playwright-core):
// the page loads without console errors; looking through a camera gives what `ttgs render` gives (correlation
// >= 0.9); the time slider moves the actors' pixels and nothing else; the server refuses traversal and writes,
// says so when its port is taken and exits cleanly on Ctrl-C; report.html opens offline with its plots.
// Usage: node test_view.mjs TTGS WORK_DIR SCREENSHOT_DIR (WORK_DIR is removed at the end).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { test, after, before } from "node:test";
import { pathToFileURL } from "node:url";
import { correlation, launchBrowser, openPage, startViewer, stopViewer } from "./browser.mjs";

const [ttgs, work, shots] = process.argv.slice(2).map((p) => path.resolve(p));
assert.ok(ttgs && work && shots, "usage: node test_view.mjs TTGS WORK_DIR SCREENSHOT_DIR");
const run = (...args) => execFileSync(ttgs, ["--quiet", ...args], { cwd: work, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const at = (...p) => path.join(work, ...p);
let browser;

function rawGet(url, rawPath, method = "GET") {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method }, (res) => {
      let body = "";
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function shot(page, name) {
  const png = await page.locator("#view").screenshot();
  fs.writeFileSync(path.join(shots, name), png);
  console.log(`screenshot: ${path.join(shots, name)}`);
  return png;
}

before(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(shots, { recursive: true });
  run("synth", "--preset", "object", "--views", "12", "--novel", "3", "--width", "160", "--height", "120", "--seed", "4", "--out", "object");
  run("fit", "--data", "object", "--out", "fit", "--iters", "300", "--threads", "2");
  run("render", "--ply", "fit/scene.ply", "--data", "object", "--split", "all", "--out", "renders");
  run("refine", "--data", "object", "--init", "fit/scene.ply", "--out", "refined", "--ablation", "--steps-pose", "3",
    "--steps-gs", "3", "--threads", "2");
  run("synth", "--preset", "street", "--cameras", "3", "--views", "4", "--novel", "0", "--width", "192", "--height", "112", "--lidar", "--seed", "3", "--out", "street");
  run("init", "--data", "street", "--out", "street_init", "--source", "lidar");
});

after(async () => {
  if (browser) await browser.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test("the page shows a fit through a training camera as ttgs render does", async () => {
  browser = await launchBrowser();
  const viewer = await startViewer(ttgs, [at("fit")]);
  try {
    const { page, errors, seconds } = await openPage(browser, `${viewer.url}?camera=frame_0003.png`, { width: 800, height: 600 });
    console.log(`first frame in ${seconds.toFixed(1)} s`);
    assert.deepEqual(errors, []);
    const canvas = await page.locator("#view").boundingBox();
    assert.deepEqual([canvas.width, canvas.height], [160, 120]);
    const ours = await shot(page, "fit_frame_0003.png");
    const reference = fs.readFileSync(at("renders", "images_frame_0003.png"));
    const r = await correlation(page, ours, reference);
    console.log(`correlation with ttgs render: ${r.toFixed(4)}`);
    assert.ok(r >= 0.9, `correlation ${r}`);
    // A different camera must not match as well (the check can fail).
    const other = fs.readFileSync(at("renders", "images_frame_0009.png"));
    assert.ok((await correlation(page, ours, other)) < r - 0.05);
    // The photo and ttgs's render of the view sit beside it, with the PSNR ttgs eval would report.
    await page.waitForFunction(() => /PSNR \d+\.\d\d dB/.test(document.getElementById("psnr").textContent));
    assert.equal(await page.locator("#photo").evaluate((img) => img.naturalWidth), 160);
    // The run's plots are drawn.
    assert.ok((await page.locator("#plots canvas").count()) >= 2);
    await page.close();
    // Without ?camera: the free view with the frustums; clicking a camera in the list looks through it, with its
    // photo and render beside the view.
    const free = await openPage(browser, viewer.url, { width: 1000, height: 700 });
    assert.equal(await free.page.locator("#cameras li").count(), 15);
    assert.ok(await free.page.locator("#compare").isHidden());
    await free.page.locator("#cameras li").nth(13).click();
    await free.page.waitForFunction(() => /PSNR \d+\.\d\d dB/.test(document.getElementById("psnr").textContent));
    assert.ok(await free.page.locator("#compare").isVisible());
    assert.match(await free.page.locator("#cameras li.current").textContent(), /novel_0001\.png \(test\)/);
    assert.deepEqual(free.errors, []);
    await free.page.close();
  } finally {
    assert.equal(await stopViewer(viewer), 0, "Ctrl-C exits cleanly");
  }
});

test("the time slider moves the actors and nothing else", async () => {
  const viewer = await startViewer(ttgs, [at("street_init"), "--data", at("street")]);
  try {
    const { page, errors } = await openPage(browser, `${viewer.url}?camera=frame_0000_front.png`, { width: 800, height: 600 });
    assert.deepEqual(errors, []);
    const setTime = async (i) => {
      await page.locator("#time").evaluate((el, v) => { el.value = String(v); el.dispatchEvent(new Event("input")); }, i);
      await page.evaluate(() => window.ttgsSettled());
    };
    const meanAbsDiff = (a, b) => page.evaluate(async ([x, y]) => {
      const load = async (s) => createImageBitmap(await (await fetch(`data:image/png;base64,${s}`)).blob());
      const px = async (s) => { const i = await load(s); const c = new OffscreenCanvas(i.width, i.height); const g = c.getContext("2d"); g.drawImage(i, 0, 0); return g.getImageData(0, 0, i.width, i.height).data; };
      const [p, q] = [await px(x), await px(y)];
      let d = 0;
      for (let i = 0; i < p.length; i += 4) d += Math.abs(p[i] - q[i]) + Math.abs(p[i + 1] - q[i + 1]) + Math.abs(p[i + 2] - q[i + 2]);
      return d / (p.length / 4) / 3;
    }, [a.toString("base64"), b.toString("base64")]);
    const last = Number(await page.locator("#time").getAttribute("max"));
    assert.equal(last, 3);
    await setTime(0);
    const start = await shot(page, "street_t0.png");
    await setTime(last);
    const end = await shot(page, "street_t3.png");
    const moved = await meanAbsDiff(start, end);
    await page.locator("#show-actors").uncheck();
    await page.locator("#show-boxes").uncheck();
    await setTime(0);
    const staticStart = await shot(page, "street_static_t0.png");
    await setTime(last);
    const staticEnd = await shot(page, "street_static_t3.png");
    const still = await meanAbsDiff(staticStart, staticEnd);
    console.log(`mean pixel change over time: ${moved.toFixed(3)} with actors, ${still.toFixed(3)} without`);
    assert.ok(moved > 0.5, `actors moved ${moved}`);
    assert.ok(still < 0.05 * moved, `static part changed ${still}`);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await stopViewer(viewer);
  }
});

test("the server is read-only and serves only the scene's files", async () => {
  const viewer = await startViewer(ttgs, [at("fit")]);
  try {
    for (const p of ["/data/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2freport.json",
      "/data/scene.ply/../../report.json", "/data/..\\..\\report.json"])
      assert.equal((await rawGet(viewer.url, p)).status, 403, p);
    for (const p of ["/report.json", "/etc/passwd", "/data/report.json", "/data/cameras.json", "/api/render/999.png"])
      assert.equal((await rawGet(viewer.url, p)).status, 404, p);
    assert.equal((await rawGet(viewer.url, "/data/scene.ply")).status, 200);
    assert.equal((await rawGet(viewer.url, "/api/manifest", "POST")).status, 405);
    assert.equal((await rawGet(viewer.url, "/data/scene.ply", "DELETE")).status, 405);
    assert.ok(fs.existsSync(at("fit", "scene.ply")));
    // A second server on the same port: one clear line, exit 2.
    const port = new URL(viewer.url).port;
    const second = spawnSync(ttgs, ["view", at("fit"), "--port", port], { encoding: "utf8", timeout: 20000 });
    assert.equal(second.status, 2);
    assert.match(second.stderr, /^ttgs: error: --port: cannot listen on 127\.0\.0\.1:\d+/m);
  } finally {
    assert.equal(await stopViewer(viewer), 0);
  }
});

test("report.html opens offline and shows its plots and renders", async () => {
  run("report", "fit");
  const file = at("fit", "report.html");
  const context = await browser.newContext({ offline: true });
  const requests = [];
  context.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url()); });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => document.body.dataset.ready === "1");
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  assert.ok(Number(await page.evaluate(() => document.body.dataset.plots)) >= 2);
  // Each plot drew something: its canvas is not blank.
  const inked = await page.locator("#plots canvas").evaluateAll((cs) => cs.map((c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) n += d[i] > 0;
    return n / (d.length / 4);
  }));
  assert.ok(inked.length >= 2 && inked.every((f) => f > 0.01), `ink per plot ${inked}`);
  assert.ok((await page.locator("figure.view img").count()) >= 2);
  fs.writeFileSync(path.join(shots, "report.png"), await page.screenshot({ fullPage: true }));
  // refine --ablation wrote its own report.html: its stages and its ladder (plot and table) are there.
  await page.goto(pathToFileURL(at("refined", "report.html")).href);
  await page.waitForFunction(() => document.body.dataset.ready === "1");
  const titles = await page.locator("#plots .plot").evaluateAll((ps) => ps.map((p) => p.dataset.plot));
  for (const title of ["Refinement stages", "Ablation ladder"]) assert.ok(titles.includes(title), `${title} in ${titles}`);
  assert.equal(await page.locator("table.ladder tr").count(), 1 + JSON.parse(fs.readFileSync(at("refined", "ablation.json"))).rows.length);
  assert.deepEqual(errors, []);
  fs.writeFileSync(path.join(shots, "report_refine.png"), await page.screenshot({ fullPage: true }));
  await context.close();
});
