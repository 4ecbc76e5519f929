#!/bin/bash
# One device-machine session: unpack Node + the pruned node_modules/dist, build the native engine against the
# machine's PyTorch libtorch (CUDA), then: bench:train (ours vs PyTorch, CUDA), and the CamVid recipe on CUDA
# (GMM head on camvid with periodic validation, then two camvid-heldout GMM runs), each sized to about TRAIN_S seconds.
# Made ready by scripts/device/pack.sh (copied to .gpu/run.sh). Env: DEV (cuda|cpu, default cuda), TRAIN_S (default 100),
# JOBS (compile jobs, default 16), CROP (default 352,480), BATCH, PROBE, MINSTEPS, VAL, PY, OUT (results).
set -u
W=${WORK:-$(mktemp -d)}  # scratch: node, objects, checkpoints, models
OUT=${OUT:-$W/out}; mkdir -p "$OUT"
DEV=${DEV:-cuda}; TRAIN_S=${TRAIN_S:-100}; JOBS=${JOBS:-16}
T0=$(date +%s)
log() { echo "[$(($(date +%s) - T0))s] $*" | tee -a "$OUT/run.log"; }
stamp() { while IFS= read -r l; do echo "[$(($(date +%s) - T0))s] $l"; done | tee -a "$OUT/run.log"; }

mkdir -p $W/nb
[ -x $W/nb/node ] || python3 -c "import lzma,shutil;shutil.copyfileobj(lzma.open('.gpu/node.xz'),open('$W/nb/node','wb'))"
chmod +x $W/nb/node; export PATH=$W/nb:$PATH
[ -d node_modules ] || tar xJf .gpu/nm.tar.xz
log "node $(node -v); $(nproc) cores; $(nvidia-smi -L 2>/dev/null | head -1)"
PY=${PY:-python3}
TI=$($PY -c "import torch.utils.cpp_extension as e;print(' '.join('-I'+p for p in e.include_paths()))")
TL=$($PY -c "import torch.utils.cpp_extension as e;print(e.library_paths()[0])")
ABI=$($PY -c "import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))")
CU=$($PY -c "import torch;print('-ltorch_cuda -lc10_cuda' if torch.version.cuda else '')")
log "torch $($PY -c 'import torch;print(torch.__version__, torch.version.cuda)') abi $ABI"
if [ ! -f native/gmmseg_torch.node ]; then
  mkdir -p $W/ob
  ls native/src/*.cc | xargs -P "$JOBS" -I{} sh -c "g++ -c -fPIC -std=c++17 -O2 -frtti -fexceptions -DNAPI_VERSION=8 \
    -DNODE_ADDON_API_DISABLE_DEPRECATED -D_GLIBCXX_USE_CXX11_ABI=$ABI -I.gpu/napi -Inode_modules/node-addon-api $TI \
    -Wno-unused-parameter -Wno-deprecated-declarations {} -o $W/ob/\$(basename {} .cc).o 2>>$OUT/build.log || echo FAIL {}" | tee -a "$OUT/run.log"
  g++ -shared -o native/gmmseg_torch.node $W/ob/*.o -L"$TL" -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 $CU \
    -Wl,--as-needed -Wl,-rpath,"$TL" 2>>"$OUT/build.log" || { log "link failed"; tail -c 6000 "$OUT/build.log"; exit 1; }
fi
log "built addon"
export GMMSEG_DEVICE=$DEV GMMSEG_ENGINE=torch GMMSEG_TORCH_PYTHON=$PY
timeout 120 node dist/bench/train.js --steps 20 --warmup 5 --json 2>&1 | stamp

G="node dist/src/cli/main.js train --root .gpu/camvid --checkpoint-dir $W/ck"
BATCH=${BATCH:-8}; CROP=${CROP:-352,480}; PROBE=${PROBE:-12}; MINSTEPS=${MINSTEPS:-100}
REC="--backbone-mode trainable --batch-size $BATCH --crop-size $CROP --scale-range 0.5,2 --learning-rate 2e-4 \
  --head-lr-multiplier 10 --warmup-steps 100 --weight-decay 0.01 --seed 0"
GMM="--components-per-class 5 --memory-per-component 8000 --mean-momentum 0.99 --gmm-update-every 1"
# probe: time per step of the recipe (GMM head), then size the runs to TRAIN_S seconds
timeout 150 $G --dataset camvid --head gmm $REC $GMM --steps $PROBE --warmup-steps 5 --out $W/probe.gmmseg 2>&1 | stamp
RATE=$(grep -o '[0-9.]* step/s' "$OUT/run.log" | tail -1 | cut -d' ' -f1)
steps_for() { python3 -c "r=float('${RATE:-1}');print(max($MINSTEPS,min(4000,int(r*$1)//50*50)))"; }
log "rate $RATE step/s"
run() { # name, dataset, head, seconds, validations (0: none), extra
  local steps; steps=$(steps_for "$4")
  local v=""; [ "$5" -gt 0 ] && v="--val-split val --validate-every ${VAL:-$((steps / $5))}"
  log "run $1: $2 $3 $steps steps $v"
  timeout $(($4 * 3)) $G --dataset "$2" --head "$3" $REC $6 $v --steps $steps --out "$W/$1.gmmseg" 2>&1 | stamp
  cp "$W/$1.gmmseg" "$OUT/" 2>/dev/null
  log "end $1"
}
run gmm camvid gmm $((TRAIN_S * 13 / 10)) 3 "$GMM"
run heldout camvid-heldout gmm $((TRAIN_S * 9 / 10)) 0 "$GMM"
run heldout-floor camvid-heldout gmm $((TRAIN_S * 9 / 10)) 0 "$GMM --std-floor-variance 0.001"
log done
