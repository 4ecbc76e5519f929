#!/bin/sh
# Compiles one native source for errors only (no object, no link), with the addon's flags:
#   sh scripts/check-native.sh native/src/ops_x.cc.wip
# Needs native/torch-config.gypi (written by a first `node scripts/build-native.mjs`).
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
incs=$(node -e "const c=JSON.parse(require('fs').readFileSync('$root/native/torch-config.gypi','utf8')).variables; console.log([...c.torch_include_dirs.map(d=>'-I'+d), ...c.torch_defines.map(d=>'-D'+d)].join(' '))")
napi=$(node -p "require('$root/node_modules/node-addon-api').include_dir")
nodeinc=$(dirname "$(command -v node)")/../include/node
exec g++ -x c++ -std=c++17 -fsyntax-only -Wall -Wno-unused-parameter -Wno-deprecated-declarations -I"$root/native/src" -I"$root/$napi" -I"$root/node_modules/node-addon-api" -I"$nodeinc" $incs -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_DEPRECATED "$1"
