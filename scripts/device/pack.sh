#!/bin/bash
# Packs what a bare GPU machine (PyTorch + CUDA, no Node) needs to train gmmseg there into .gpu/ (git-ignored via
# .git/info/exclude; carry it with the device tool): node.xz (this machine's Node binary), nm.tar.xz (the node_modules
# files a CamVid training run loads, found by tracing one short run, plus dist/), napi/ (Node-API headers for the
# addon build) and camvid/ (CamVid train+val as JPEG q85 + label PNGs, about 23 MB). Then on the device:
#   OUT=$OUT bash scripts/device/run-cuda.sh     (CROP must be a multiple of 32: 352,480)
set -eu
cd "$(dirname "$0")/../.."
mkdir -p .gpu/napi .git/info && grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
CAMVID=${CAMVID:-../shared/data/camvid}
npm run build >/dev/null
[ -f .gpu/node.xz ] || xz -T0 -6 -c "$(command -v node)" > .gpu/node.xz
NODE_INC=${NODE_INC:-$(dirname "$(dirname "$(command -v node)")")/include/node}
cp "$NODE_INC"/{node_api.h,node_api_types.h,js_native_api.h,js_native_api_types.h} .gpu/napi/
cat > .gpu/trace.cjs <<'JS'
const Module = require('module'), fs = require('fs'), seen = new Set();
const load = Module._load;
Module._load = function (req, parent, isMain) {
  try { const f = Module._resolveFilename(req, parent, isMain); if (f.includes('node_modules')) seen.add(f); } catch {}
  return load.apply(this, arguments);
};
const rd = fs.readFileSync;
fs.readFileSync = function (p, ...a) { if (typeof p === 'string' && p.includes('node_modules')) seen.add(p); return rd.call(this, p, ...a); };
process.on('exit', () => fs.appendFileSync(process.env.GMMSEG_TRACE, [...seen].join('\n') + '\n'));
JS
cat > .gpu/trace-esm.mjs <<'JS'
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(`import fs from 'node:fs';
export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('node_modules')) fs.appendFileSync(process.env.GMMSEG_TRACE, r.url.replace('file://', '') + '\\n'); return r; }`));
JS
W=$(mktemp -d); export GMMSEG_TRACE=$W/trace.txt PACK=$W/pack
node -r ./.gpu/trace.cjs --import ./.gpu/trace-esm.mjs dist/src/cli/main.js train --dataset camvid --root "$CAMVID" \
  --backbone-mode trainable --steps 1 --batch-size 1 --crop-size 64,64 --out $W/trace.gmmseg >/dev/null
node dist/bench/train.js --steps 1 --warmup 0 --no-torch >/dev/null
mkdir -p $PACK
python3 - <<'PY'
import os, shutil
root = 'node_modules/'
files = {l.strip() for l in open(os.environ['GMMSEG_TRACE']) if 'node_modules/' in l}
pkgs = set()
for f in files:
    rel = f.split('node_modules/', 1)[1]; parts = rel.split('/')
    pkgs.add('/'.join(parts[:2]) if parts[0].startswith('@') else parts[0])
    if os.path.isfile(f):
        os.makedirs(os.path.dirname(os.environ['PACK'] + '/node_modules/' + rel), exist_ok=True)
        shutil.copy2(f, os.environ['PACK'] + '/node_modules/' + rel)
for p in pkgs:
    if os.path.exists(root + p + '/package.json'): shutil.copy2(root + p + '/package.json', os.environ['PACK'] + '/node_modules/' + p + '/package.json')
for extra in ['@vladmandic/human/models/centernet.json', '@vladmandic/human/models/centernet.bin', '@vladmandic/human/dist/human.node.js']:
    os.makedirs(os.path.dirname(os.environ['PACK'] + '/node_modules/' + extra), exist_ok=True); shutil.copy2(root + extra, os.environ['PACK'] + '/node_modules/' + extra)
for d in ['@img/sharp-libvips-linux-x64', '@img/sharp-linux-x64', 'node-addon-api']:
    shutil.copytree(root + d, os.environ['PACK'] + '/node_modules/' + d, dirs_exist_ok=True, symlinks=True)
PY
cp -r dist $PACK/dist && rm -rf $PACK/dist/tests && find $PACK/dist -name '*.map' -delete
(cd $PACK && tar cf - node_modules dist | xz -T0 -6 > "$OLDPWD/.gpu/nm.tar.xz")
node --input-type=module -e "
import sharp from 'sharp'; import fs from 'node:fs'; import path from 'node:path';
const src = '$CAMVID', dst = '.gpu/camvid';
for (const s of ['train', 'val']) {
  fs.mkdirSync(path.join(dst, s), { recursive: true }); fs.mkdirSync(path.join(dst, s + 'annot'), { recursive: true });
  for (const f of fs.readdirSync(path.join(src, s))) {
    await sharp(path.join(src, s, f)).jpeg({ quality: 85 }).toFile(path.join(dst, s, f.replace(/\.png$/, '.jpg')));
    fs.copyFileSync(path.join(src, s + 'annot', f), path.join(dst, s + 'annot', f));
  }
}"
cp scripts/device/run-cuda.sh .gpu/run.sh
du -sh .gpu
