#!/usr/bin/env bash
# Installs everything ttgs needs to build, test and benchmark, from Debian 12 packages only. Idempotent; run as root.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-pthread            # tensors/autograd (LibTorch 1.13.1, CPU) on OpenBLAS, not reference BLAS
  libgloo-dev                                  # headers of the Gloo backend of LibTorch's c10d (distributed training)
  nlohmann-json3-dev libcli11-dev libnanoflann-dev libstb-dev zlib1g-dev libzstd-dev
  libgtest-dev libbenchmark-dev                # tests and benchmarks
  clang libclang-rt-14-dev                     # sanitizer and libFuzzer builds of the readers
  python3-dev pybind11-dev python3-torch python3-pytest  # `import ttgs` for Debian's /usr/bin/python3 and its tests
  libcpp-httplib-dev                           # `ttgs view`'s HTTP server
  chromium                                     # the headless browser the viewer's tests run
)
# Node and npm for the web front-end and the interoperability tests' clients (any Node >= 18 will do).
command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ttgs setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "ttgs setup: all Debian packages present"
fi

# The viewer's page is bundled at build time from npm packages (src/view/web/package-lock.json pins them); installed
# again only when the lock file changed.
web=src/view/web
cd "$(dirname "$0")/.."
if ! cmp -s "$web/package-lock.json" "$web/node_modules/.ttgs-installed-lock.json" 2>/dev/null; then
  echo "ttgs setup: installing the viewer's npm packages"
  (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) &&
    cp "$web/package-lock.json" "$web/node_modules/.ttgs-installed-lock.json"
fi
