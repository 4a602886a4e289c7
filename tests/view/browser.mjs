// Shared by the viewer's browser tests and benchmark: headless Chromium (Debian's) driven by playwright-core, and
// a `ttgs view` server started on a free port.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../src/view/web/package.json"));
const { chromium } = require("playwright-core");

export const CHROMIUM = process.env.TTGS_CHROMIUM || "/usr/bin/chromium";

// Software WebGL (SwiftShader through ANGLE): no GPU needed.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
      "--disable-dev-shm-usage"],
  });
}

// Starts `ttgs view ...args --port 0`; resolves with {url, process, output()} once it prints its URL.
export function startViewer(ttgs, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(ttgs, ["view", ...args, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`ttgs view printed no URL in 120 s:\n${out}`)), 120000);
    const onData = (d) => {
      out += d.toString();
      const m = out.match(/at (http:\/\/\S+\/)/);
      if (m) { clearTimeout(timer); resolve({ url: m[1], process: child, output: () => out }); }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`ttgs view exited (${code}):\n${out}`)); });
  });
}

// Stops a viewer with SIGINT (as Ctrl-C does); resolves with its exit code.
export function stopViewer(viewer) {
  return new Promise((resolve) => {
    viewer.process.removeAllListeners("exit");
    viewer.process.on("exit", (code, signal) => resolve(code ?? signal));
    viewer.process.kill("SIGINT");
  });
}

// Opens `url`, collecting console errors and page errors; waits for document.body.dataset.ready.
export async function openPage(browser, url, viewport, timeoutMs = 120000) {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  const errors = [];
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  const start = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: timeoutMs });
  return { page, errors, seconds: (Date.now() - start) / 1000 };
}

// Pearson correlation of two PNGs' RGB values (the second resized to the first's size), computed in the page.
export async function correlation(page, pngA, pngB) {
  return page.evaluate(async ([a, b]) => {
    const load = async (b64) => createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
    const [ia, ib] = [await load(a), await load(b)];
    const pixels = (img) => {
      const c = new OffscreenCanvas(ia.width, ia.height);
      const g = c.getContext("2d");
      g.drawImage(img, 0, 0, ia.width, ia.height);
      return g.getImageData(0, 0, ia.width, ia.height).data;
    };
    const [pa, pb] = [pixels(ia), pixels(ib)];
    let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (let i = 0; i < pa.length; i += 4)
      for (let k = 0; k < 3; ++k) {
        const x = pa[i + k], y = pb[i + k];
        n++; sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
      }
    const cov = sab / n - (sa / n) * (sb / n);
    return cov / Math.sqrt((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2));
  }, [pngA.toString("base64"), pngB.toString("base64")]);
}
