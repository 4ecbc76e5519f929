#!/usr/bin/env node
/**
 * Builds the native `torch` engine (native/, an N-API addon over libtorch) when libtorch is present; run by
 * `npm install` / `npm ci` (the package's install script) and by `npm run build:native`.
 *
 * libtorch is looked up through Python (`import torch`: Debian's python3-torch, or a PyTorch installation, whose
 * libtorch may have CUDA), then as Debian's bare `libtorch-dev` headers. Without libtorch, or when the build fails,
 * it prints one line saying how to get the native engine and exits 0: the package still works on the wasm engine.
 * The addon is built in native/build and only a complete, loadable binary is moved (rename) to
 * native/gmmseg_torch.node, so a failed build never leaves a half-built engine behind.
 *
 * Environment: GMMSEG_SKIP_NATIVE=1 skips the build; GMMSEG_TORCH_PYTHON=/path/to/python picks the Python to ask.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = path.join(root, 'native');
const target = path.join(nativeDir, 'gmmseg_torch.node');
const HOW =
  'native torch engine not built; to get it on Debian/Ubuntu: sudo apt-get install -y python3-torch libtorch-dev libopenblas-dev && npm rebuild gmmseg (using the wasm engine meanwhile)';
const strict = process.argv.includes('--strict');

function done(msg, ok) {
  console.error(`gmmseg: ${msg}`);
  process.exit(ok || !strict ? 0 : 1);
}

function torchConfigFromPython() {
  const pythons = [process.env.GMMSEG_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
  for (const py of pythons) {
    try {
      const out = execFileSync(py, [path.join(nativeDir, 'torch-config.py')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const v = JSON.parse(out).variables;
      const dist = v.torch_dist ? `, collectives: ${v.torch_dist}` : ', no collectives: install libgloo-dev for them';
      return { source: `${py} (torch ${v.torch_version}${dist})`, gypi: out };
    } catch {
      /* try the next one */
    }
  }
  return undefined;
}

function torchConfigFromSystem() {
  const inc = '/usr/include/torch/csrc/api/include';
  if (!existsSync(inc)) return undefined;
  // The c10d collectives need the Gloo headers (Debian: libgloo-dev).
  const gloo = existsSync('/usr/include/gloo/config.h');
  const vars = {
    torch_include_dirs: ['/usr/include', inc],
    torch_defines: ['_GLIBCXX_USE_CXX11_ABI=1', ...(gloo ? ['USE_C10D_GLOO', 'GMMSEG_DIST=1'] : [])],
    torch_libraries: ['-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10', '-Wl,--as-needed'],
    torch_ldflags: [],
    torch_version: 'system',
    torch_cuda: 0,
    torch_dist: gloo ? 'gloo' : '',
  };
  return {
    source: `system libtorch-dev${gloo ? ', collectives: gloo' : ', no collectives: install libgloo-dev for them'}`,
    gypi: JSON.stringify({ variables: vars }, null, 2),
  };
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp))
    return process.env.npm_config_node_gyp;
  const bundled = path.join(
    path.dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  return existsSync(bundled) ? bundled : undefined;
}

if (process.env.GMMSEG_SKIP_NATIVE === '1') done('GMMSEG_SKIP_NATIVE=1: native torch engine not built', true);
const config = torchConfigFromPython() ?? torchConfigFromSystem();
if (!config) {
  rmSync(target, { force: true });
  done(`libtorch not found. ${HOW}`, false);
}
const gyp = nodeGyp();
if (!gyp) done(`node-gyp not found. ${HOW}`, false);
writeFileSync(path.join(nativeDir, 'torch-config.gypi'), config.gypi);
const t0 = Date.now();
console.error(`gmmseg: building the native torch engine against ${config.source} (about a minute)…`);
// Build against Node's own headers (never download them): npm's nodedir setting, else the running Node's prefix.
const prefix = path.resolve(path.dirname(process.execPath), '..');
const nodedir =
  process.env.npm_config_nodedir || (existsSync(path.join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined);
if (!nodedir) done(`Node's C headers not found next to ${process.execPath}. ${HOW}`, false);
// A fresh tree (install time) is rebuilt from scratch; during development (native/build exists) configure + build
// recompiles only the changed sources. `--clean` forces a rebuild.
const gypRun = (args) =>
  spawnSync(process.execPath, [gyp, ...args, `--nodedir=${nodedir}`], {
    cwd: nativeDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
const incremental = existsSync(path.join(nativeDir, 'build', 'Makefile')) && !process.argv.includes('--clean');
let r = incremental ? gypRun(['configure']) : gypRun(['rebuild', '--jobs', 'max']);
if (incremental && r.status === 0) r = gypRun(['build', '--jobs', 'max']);
const built = path.join(nativeDir, 'build', 'Release', 'gmmseg_torch.node');
if (r.status !== 0 || !existsSync(built)) {
  const log = path.join(nativeDir, 'build-error.log');
  writeFileSync(log, `${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  rmSync(target, { force: true });
  done(`native torch engine build failed (log: ${log}). ${HOW}`, false);
}
// Check that the fresh binary loads before it replaces anything.
const probe = spawnSync(
  process.execPath,
  ['-e', `const a=require(${JSON.stringify(built)}); if (a.kernels().length < 1) process.exit(3)`],
  { encoding: 'utf8' },
);
if (probe.status !== 0) {
  rmSync(target, { force: true });
  done(`native torch engine built but does not load: ${(probe.stderr || '').split('\n')[0]}. ${HOW}`, false);
}
const tmp = `${target}.tmp-${process.pid}`;
copyFileSync(built, tmp);
renameSync(tmp, target);
rmSync(path.join(nativeDir, 'build-error.log'), { force: true });
done(`native torch engine built in ${((Date.now() - t0) / 1000).toFixed(0)} s (${config.source})`, true);
