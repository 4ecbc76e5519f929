#!/bin/sh
# System packages for the native torch engine, the PyTorch bench reference and the browser test, from Debian/Ubuntu
# (apt): libtorch + OpenBLAS (python3-torch brings libtorch and the reference PyTorch), libgloo-dev (the Gloo headers
# of the c10d collectives for data-parallel training), chromium (Playwright drives it;
# no browser is downloaded). Installs only what is missing; as root, or through sudo. Elsewhere it says what to install
# and exits 0: the package then runs on the wasm engine and the browser test says it was skipped.
set -e
PKGS="python3-torch libtorch-dev libgloo-dev libopenblas-dev chromium"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && { echo "system packages present:$PKGS" | tr -s ' '; exit 0; }
if ! command -v apt-get >/dev/null 2>&1; then
  echo "gmmseg: no apt-get here; install libtorch (+ its Python package) and chromium yourself for the native engine and the browser test"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "installed:$missing"
