// Camera and sky geometry in ttgs's conventions (the manifest's c2w: camera-to-world, OpenGL axes, row-major).
import * as THREE from "three";

export function cameraMatrix(c2w) {
  return new THREE.Matrix4().set(...c2w);
}

// The projection of a pinhole camera (pixels, principal point cx, cy; pixel centres at i + 0.5) in OpenGL clip space.
export function projectionFromIntrinsics(cam, near, far) {
  const { width: w, height: h, fx, fy, cx, cy } = cam;
  return new THREE.Matrix4().set(
    (2 * fx) / w, 0, 1 - (2 * cx) / w, 0,
    0, (2 * fy) / h, (2 * cy) / h - 1, 0,
    0, 0, -(far + near) / (far - near), (-2 * far * near) / (far - near),
    0, 0, -1, 0);
}

// Lines of a frustum `depth` deep, in world coordinates.
export function frustumLines(cam, depth) {
  const m = cameraMatrix(cam.c2w);
  const corner = (u, v) => new THREE.Vector3(((u - cam.cx) / cam.fx) * depth, (-(v - cam.cy) / cam.fy) * depth, -depth).applyMatrix4(m);
  const o = new THREE.Vector3().setFromMatrixPosition(m);
  const c = [corner(0, 0), corner(cam.width, 0), corner(cam.width, cam.height), corner(0, cam.height)];
  const up = corner(cam.width / 2, -0.25 * cam.height);
  const points = [o, c[0], o, c[1], o, c[2], o, c[3], c[0], c[1], c[1], c[2], c[2], c[3], c[3], c[0], c[0], up, up, c[1]];
  return new THREE.BufferGeometry().setFromPoints(points);
}

// The environment map (ttgs's distant region) on a sphere around the camera: direction d in the map's frame
// (rows of `frame`), longitude atan2(d.y, d.x) across, latitude asin(d.z) down from the top row, as ttgs renders it.
export function skyMaterial(texture, frame) {
  texture.wrapS = THREE.ClampToEdgeWrapping;
  texture.wrapT = THREE.ClampToEdgeWrapping;
  texture.minFilter = THREE.LinearFilter;
  texture.magFilter = THREE.LinearFilter;
  const f = new THREE.Matrix3().set(...frame);
  return new THREE.ShaderMaterial({
    uniforms: { map: { value: texture }, frame: { value: f } },
    vertexShader: `varying vec3 vDir;
      void main() { vDir = (modelMatrix * vec4(position, 0.0)).xyz; gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0); }`,
    fragmentShader: `uniform sampler2D map; uniform mat3 frame; varying vec3 vDir;
      void main() {
        vec3 d = normalize(frame * normalize(vDir));
        float lon = atan(d.y, d.x), lat = asin(clamp(d.z, -1.0, 1.0));
        gl_FragColor = vec4(texture2D(map, vec2(0.5 + 0.5 * lon / 3.14159265, 0.5 - lat / 3.14159265)).rgb, 1.0);
      }`,
    side: THREE.BackSide, depthWrite: false, depthTest: false,
  });
}
