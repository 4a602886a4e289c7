// The page `ttgs view` serves: splats (Spark on three.js), the dataset's cameras as frustums, looking through a
// camera beside its photo and ttgs's own render of it, time and parts for 4D scenes, and the run's plots.
// Scriptable: ?camera=NAME looks through that camera at its image size, ?time=T picks the nearest timestamp;
// document.body.dataset.ready becomes "1" once the first complete frame is drawn.
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { SparkControls, SparkRenderer, SplatMesh } from "@sparkjsdev/spark";
import { drawPlots } from "./plots.js";
import "./viewer.css";
import { cameraMatrix, projectionFromIntrinsics, frustumLines, skyMaterial } from "./geometry.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(window.location.search);
// Seconds since navigation at each milestone (for benchmarks): manifest, splats, first_render, ready.
window.ttgsTimings = {};
const mark = (name) => { if (!(name in window.ttgsTimings)) window.ttgsTimings[name] = performance.now() / 1000; };
mark("script");
const state = { manifest: null, timeIndex: 0, current: -1, needsRender: true, mode: "orbit", frames: 0 };

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

const canvas = $("view");
const renderer = new THREE.WebGLRenderer({ canvas, antialias: false, preserveDrawingBuffer: true });
renderer.setPixelRatio(1);
renderer.setClearColor(0x000000, 1);
mark("webgl");
const scene = new THREE.Scene();
const spark = new SparkRenderer({ renderer, onDirty: () => { state.needsRender = true; } });
scene.add(spark);
mark("spark");
const camera = new THREE.PerspectiveCamera(50, 1, 0.01, 1000);
scene.add(camera);
const orbit = new OrbitControls(camera, canvas);
orbit.addEventListener("change", () => { state.needsRender = true; });
let fly = null;
const groups = { static: new THREE.Group(), actors: new THREE.Group(), boxes: new THREE.Group(), cameras: new THREE.Group() };
for (const g of Object.values(groups)) scene.add(g);
let sky = null;
const actorMeshes = [];  // {mesh, box, poses}

function setStatus(text) { $("status").textContent = text; }

function freeSize() {
  const stage = $("stage");
  return { width: Math.max(64, stage.clientWidth), height: Math.max(64, stage.clientHeight) };
}

function resizeFree() {
  const { width, height } = freeSize();
  renderer.setSize(width, height, true);
  camera.aspect = width / height;
  camera.updateProjectionMatrix();
  state.needsRender = true;
}

function applyTime(index) {
  const m = state.manifest;
  state.timeIndex = Math.max(0, Math.min(index, m.timestamps.length - 1));
  $("time").value = String(state.timeIndex);
  $("time-label").textContent = `${m.timestamps[state.timeIndex].toFixed(2)} s (${state.timeIndex + 1}/${m.timestamps.length})`;
  for (const a of actorMeshes) {
    const pose = a.poses[state.timeIndex];
    const visible = pose !== null && pose !== undefined;
    a.mesh.visible = visible;
    a.box.visible = visible;
    if (!visible) continue;
    const matrix = new THREE.Matrix4().set(...pose);
    matrix.decompose(a.mesh.position, a.mesh.quaternion, a.mesh.scale);
    matrix.decompose(a.box.position, a.box.quaternion, a.box.scale);
  }
  state.needsRender = true;
}

function nearestTimeIndex(t) {
  const ts = state.manifest.timestamps;
  let best = 0;
  for (let i = 1; i < ts.length; ++i) if (Math.abs(ts[i] - t) < Math.abs(ts[best] - t)) best = i;
  return best;
}

async function showComparison(index) {
  const cam = state.manifest.cameras[index];
  const box = $("compare");
  if (!cam.photo) { box.hidden = true; return; }
  box.hidden = false;
  $("photo").src = `/api/photo/${index}.png`;
  $("render").src = `/api/render/${index}.png`;
  $("psnr").textContent = "";
  try {
    const r = await getJson(`/api/psnr/${index}`);
    $("psnr").textContent = typeof r.psnr === "number" ? `PSNR ${r.psnr.toFixed(2)} dB` : "";
  } catch (e) { $("psnr").textContent = String(e); }
}

// Look through dataset camera `index`; `exact`: the canvas at the image's own size (for scripts and screenshots).
function lookThrough(index, exact) {
  const cam = state.manifest.cameras[index];
  state.current = index;
  for (const li of $("cameras").children) li.classList.toggle("current", Number(li.dataset.index) === index);
  let scale = 1;
  if (!exact) {
    const { width, height } = freeSize();
    scale = Math.min(1, width / cam.width, height / cam.height);
  }
  renderer.setSize(Math.round(cam.width * scale), Math.round(cam.height * scale), true);
  cameraMatrix(cam.c2w).decompose(camera.position, camera.quaternion, camera.scale);
  camera.updateMatrixWorld(true);
  const near = state.manifest.scene_radius * 1e-3, far = state.manifest.scene_radius * 1e3;
  camera.projectionMatrix.copy(projectionFromIntrinsics(cam, near, far));
  camera.projectionMatrixInverse.copy(camera.projectionMatrix).invert();
  orbit.enabled = false;
  groups.cameras.visible = false;
  if (state.manifest.timestamps.length > 1) applyTime(cam.time_index);
  showComparison(index);
  state.needsRender = true;
}

function freeView() {
  state.current = -1;
  for (const li of $("cameras").children) li.classList.remove("current");
  groups.cameras.visible = $("show-cameras").checked;
  $("compare").hidden = true;
  const dir = new THREE.Vector3();
  camera.getWorldDirection(dir);
  const centre = new THREE.Vector3(...state.manifest.scene_centre);
  const distance = Math.max(camera.position.distanceTo(centre), 1e-3);
  orbit.target.copy(camera.position).addScaledVector(dir, distance);
  orbit.enabled = state.mode === "orbit";
  resizeFree();
  orbit.update();
}

function setMode(mode) {
  state.mode = mode;
  $("mode-orbit").classList.toggle("on", mode === "orbit");
  $("mode-fly").classList.toggle("on", mode === "fly");
  if (mode === "fly" && !fly) fly = new SparkControls({ canvas });
  if (state.current >= 0) freeView();
  orbit.enabled = mode === "orbit";
}

function addCameras(m) {
  const list = $("cameras");
  const size = m.scene_radius * 0.06;
  m.cameras.forEach((cam, index) => {
    const color = cam.split === "test" ? 0x40c0ff : 0xffa030;
    const lines = new THREE.LineSegments(frustumLines(cam, size), new THREE.LineBasicMaterial({ color }));
    lines.userData.index = index;
    groups.cameras.add(lines);
    const li = document.createElement("li");
    li.textContent = `${cam.name} (${cam.split})`;
    li.className = cam.split;
    li.dataset.index = String(index);
    li.addEventListener("click", () => lookThrough(index, false));
    list.appendChild(li);
  });
  const raycaster = new THREE.Raycaster();
  raycaster.params.Line.threshold = size * 0.2;
  let down = null;
  canvas.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; });
  canvas.addEventListener("pointerup", (e) => {
    if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 3 || !groups.cameras.visible) return;
    const rect = canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(((e.clientX - rect.left) / rect.width) * 2 - 1, -((e.clientY - rect.top) / rect.height) * 2 + 1);
    raycaster.setFromCamera(ndc, camera);
    const hit = raycaster.intersectObjects(groups.cameras.children, false)[0];
    if (hit) lookThrough(hit.object.userData.index, false);
  });
}

function addSplats(m) {
  const loads = [];
  for (const s of m.splats) {
    const mesh = new SplatMesh({ url: s.url });
    loads.push(mesh.initialized);
    if (s.part === "actor") {
      groups.actors.add(mesh);
      const [l, w, h] = s.size;
      const box = new THREE.LineSegments(new THREE.EdgesGeometry(new THREE.BoxGeometry(l, w, h)),
        new THREE.LineBasicMaterial({ color: 0x60ff60 }));
      groups.boxes.add(box);
      actorMeshes.push({ mesh, box, poses: s.poses });
    } else {
      groups.static.add(mesh);
    }
  }
  return Promise.all(loads);
}

function addSky(m) {
  if (!m.environment) return;
  const texture = new THREE.TextureLoader().load(m.environment.url, () => { state.needsRender = true; });
  texture.flipY = false;
  texture.colorSpace = THREE.NoColorSpace;
  sky = new THREE.Mesh(new THREE.SphereGeometry(1, 32, 16), skyMaterial(texture, m.environment.frame));
  sky.frustumCulled = false;
  sky.renderOrder = -1;
  scene.add(sky);
}

function bindControls(m) {
  $("mode-orbit").addEventListener("click", () => setMode("orbit"));
  $("mode-fly").addEventListener("click", () => setMode("fly"));
  $("free-view").addEventListener("click", () => freeView());
  $("show-cameras").addEventListener("change", (e) => { groups.cameras.visible = e.target.checked && state.current < 0; state.needsRender = true; });
  for (const [id, obj] of [["show-static", groups.static], ["show-actors", groups.actors], ["show-boxes", groups.boxes]])
    $(id).addEventListener("change", (e) => { obj.visible = e.target.checked; state.needsRender = true; });
  $("show-distant").addEventListener("change", (e) => { if (sky) sky.visible = e.target.checked; state.needsRender = true; });
  if (m.timestamps.length > 1) {
    $("time-box").hidden = false;
    $("time").max = String(m.timestamps.length - 1);
    $("time").addEventListener("input", (e) => applyTime(Number(e.target.value)));
  }
  $("parts-box").hidden = !(actorMeshes.length > 0 || m.environment);
  window.addEventListener("resize", () => { if (state.current < 0) resizeFree(); else lookThrough(state.current, params.has("camera")); });
}

async function drawRunPlots() {
  if (!state.manifest.report) return;
  const report = await getJson("/api/report");
  const ablation = state.manifest.ablation ? await getJson("/api/ablation") : null;
  const n = drawPlots($("plots"), report, ablation);
  $("plots-title").hidden = n === 0;
}

const settledWaiters = [];
// Resolves once a complete frame of the current state is on the canvas (sorting done, nothing left to draw).
window.ttgsSettled = () => new Promise((resolve) => { state.needsRender = true; settledWaiters.push(resolve); });

function frame() {
  if (fly && state.mode === "fly" && state.current < 0) { fly.update(camera); state.needsRender = true; }
  if (sky) sky.position.copy(camera.position), sky.scale.setScalar(state.manifest.scene_radius * 100);
  const busy = spark.sorting || spark.sortDirty;
  if (state.needsRender || busy || state.measuring) {
    state.needsRender = false;
    state.quiet = 0;
    renderer.render(scene, camera);
    state.frames += 1;
    mark("first_render");
    return;
  }
  // Nothing changed since the last frame drawn, which was therefore sorted for this view: it is complete.
  if (++state.quiet < 2) return;
  if (state.readyPending && state.frames > 0) {
    state.readyPending = false;
    // Wait until the GPU (or software GL) has finished drawing it: reading one pixel back blocks until then.
    const gl = renderer.getContext();
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
    mark("ready");
    document.body.dataset.ready = "1";
  }
  while (settledWaiters.length > 0) settledWaiters.shift()();
}

// Frames per second of continuous rendering over `seconds` (for benchmarks).
window.ttgsMeasureFps = (seconds) => new Promise((resolve) => {
  state.measuring = true;
  const start = performance.now(), frames0 = state.frames;
  const tick = () => {
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed < seconds) { camera.rotateY(0.002); requestAnimationFrame(tick); return; }
    state.measuring = false;
    resolve((state.frames - frames0) / elapsed);
  };
  requestAnimationFrame(tick);
});

async function main() {
  const m = await getJson("/api/manifest");
  mark("manifest");
  state.manifest = m;
  $("source").textContent = `${m.path} (${m.kind}; ${m.num_gaussians.toLocaleString()} Gaussians)`;
  document.title = `ttgs view: ${m.path}`;
  addCameras(m);
  addSky(m);
  const loading = addSplats(m);
  bindControls(m);
  drawRunPlots().catch((e) => console.warn(`plots: ${e}`));
  const wanted = params.get("camera");
  let start = m.cameras.findIndex((c) => c.name === wanted || c.name.split("/").pop() === wanted);
  if (wanted !== null && start < 0) throw new Error(`no camera named ${wanted}`);
  if (params.has("time") && m.timestamps.length > 1) applyTime(nearestTimeIndex(Number(params.get("time"))));
  else applyTime(0);
  setStatus("loading splats…");
  await loading;
  mark("splats");
  setStatus("");
  if (start >= 0) {
    lookThrough(start, true);
    if (params.has("time") && m.timestamps.length > 1) applyTime(nearestTimeIndex(Number(params.get("time"))));
  } else {
    camera.position.set(...m.initial_view.eye);
    camera.up.set(...m.initial_view.up);
    orbit.target.set(...m.scene_centre);
    resizeFree();
    orbit.update();
  }
  state.readyPending = true;
  state.needsRender = true;
  renderer.setAnimationLoop(frame);
}

main().catch((e) => { setStatus(`error: ${e.message}`); console.error(e); });
