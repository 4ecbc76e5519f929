/**
 * The web page in a real browser (Debian's Chromium driven by playwright-core; no browser is ever downloaded):
 * a tiny model is trained in a temp folder, the service is started on a free loopback port, the page is loaded, a
 * DigitScenes anomaly image is uploaded, and what the page draws is checked pixel for pixel against the service's
 * own answer for the same image; then the threshold slider (live regions and fraction, computed again here from the
 * raw scores), hover read-out, downloads, a service error, the phone-width layout and a static build of the page
 * (`gmmseg web-build`). Screenshots go to `test-artifacts/` at the project root.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadSegModel } from '../../src/cli/load-model.js';
import { trainCommand } from '../../src/cli/train.js';
import { webBuildCommand } from '../../src/cli/web-build.js';
import { buildDigitScenes } from '../../src/data/digit-scenes.js';
import { decodeImage, encodeRgbPng } from '../../src/data/image-io.js';
import type { RgbImage } from '../../src/data/sample.js';
import { initEngine } from '../../src/engine/engine.js';
import { heatmap } from '../../src/infer/heatmap.js';
import { labelComponents } from '../../src/metrics/components.js';
import { buildServer } from '../../src/server/app.js';
import { expectClose } from '../helpers/close.js';
import { runCli } from '../helpers/cli.js';

// Browser globals, used only inside page.evaluate callbacks (they run in the page; the project compiles without the DOM lib).
declare const document: any;
declare function getComputedStyle(e: unknown): { backgroundColor: string };

const CHROMIUM = '/usr/bin/chromium';
const SKIP_REASON = `SKIPPED: Debian chromium not found at ${CHROMIUM}; install with apt-get install chromium`;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

interface ModelInfo {
  classes: { index: number; name: string; color: [number, number, number] }[];
  threshold: number;
  heatScale: { min: number; max: number };
  engine: string;
}
interface SegmentAnswer {
  width: number;
  height: number;
  engine: string;
  anomaly: { fraction: number; threshold: number; regions: { id: number; area: number }[] };
  maps: { classes: string; heat: string; overlay: string; labels: string; scores: string };
}
interface CanvasPixels {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** The RGB pixels of a canvas of the page. */
async function readCanvas(page: Page, id: string): Promise<CanvasPixels> {
  const r = await page.evaluate((canvasId: string) => {
    const c = document.getElementById(canvasId);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data as Uint8ClampedArray;
    const rgb: number[] = [];
    for (let i = 0; i < d.length; i += 4) rgb.push(d[i] as number, d[i + 1] as number, d[i + 2] as number);
    return { width: c.width as number, height: c.height as number, rgb };
  }, id);
  return { width: r.width, height: r.height, rgb: Uint8Array.from(r.rgb) };
}

async function dataset(page: Page, selector: string): Promise<Record<string, string>> {
  return page.evaluate(
    (sel: string) => ({ ...document.querySelector(sel).dataset }) as Record<string, string>,
    selector,
  );
}

/** Pixels where two RGB pictures differ. */
function differingPixels(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let n = 0;
  for (let p = 0; p < a.length; p += 3) if (a[p] !== b[p] || a[p + 1] !== b[p + 1] || a[p + 2] !== b[p + 2]) n++;
  return n;
}

const fromDataUrl = (url: string): Uint8Array =>
  Uint8Array.from(Buffer.from(url.replace(/^data:image\/png;base64,/, ''), 'base64'));

/** Flagged count and 8-connected region count at `t`, computed here from the service's raw scores. */
function expectedAt(
  scores: Float32Array,
  t: number,
  width: number,
  height: number,
): { flagged: number; regions: number } {
  const mask = Uint8Array.from(scores, (s) => (s > t ? 1 : 0));
  return { flagged: mask.reduce((a, b) => a + b, 0), regions: labelComponents(mask, height, width, 8).count };
}

/** Waits until the page shows the result of the upload named `name`. */
async function waitForResult(page: Page, name: string): Promise<void> {
  await page.waitForFunction(
    (n: string) => {
      const s = document.getElementById('status');
      return s.dataset.state === 'ok' && s.textContent.includes(`${n} `) && s.textContent.includes('round trip');
    },
    name,
    { timeout: 60_000 },
  );
}

test(
  'web page in Chromium: upload, maps, live threshold, hover, downloads, errors, phone width, static build',
  { timeout: 600_000 },
  async (t) => {
    if (!existsSync(CHROMIUM)) {
      const bar = '!'.repeat(100);
      process.stderr.write(`\n${bar}\n${SKIP_REASON}\n${bar}\n\n`);
      t.skip(SKIP_REASON);
      return;
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'gmmseg-web-e2e-'));
    let app: FastifyInstance | undefined;
    let browser: Browser | undefined;
    try {
      // A tiny calibrated model, trained in-process on the embedded data.
      await initEngine();
      const modelFile = path.join(dir, 'm.gmmseg');
      const tr = await runCli(trainCommand, [
        'train',
        '--dataset',
        'digit-scenes',
        '--crop-size',
        '128,128',
        '--batch-size',
        '2',
        '--memory-per-component',
        '64',
        '--steps',
        '2',
        '--val-split',
        'test',
        '--out',
        modelFile,
      ]);
      assert.equal(tr.code, 0, tr.err);
      app = await buildServer({
        ...(await loadSegModel(modelFile)),
        modelName: modelFile,
        options: { logLevel: 'silent' },
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      assert.ok(address !== null && typeof address === 'object');
      const base = `http://127.0.0.1:${address.port}`;

      // The image and the service's own answer for it (the reference for everything the page draws).
      const scenes = await buildDigitScenes({ trainCount: 1, testCount: 1, anomalyCount: 1 });
      const image: RgbImage = (await scenes.anomaly.get(0)).image;
      const png = encodeRgbPng(image);
      const model = (await (await fetch(`${base}/v1/model`)).json()) as ModelInfo;
      const refRes = await fetch(`${base}/v1/segment?maps=classes,heat,overlay,raw`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: png,
      });
      assert.equal(refRes.status, 200);
      const ref = (await refRes.json()) as SegmentAnswer;
      const [W, H] = [ref.width, ref.height];
      assert.deepEqual([W, H], [image.width, image.height]);
      const labels = Uint8Array.from(Buffer.from(ref.maps.labels, 'base64'));
      const scoreBytes = Buffer.from(ref.maps.scores, 'base64');
      const scores = new Float32Array(W * H).map((_, i) => scoreBytes.readFloatLE(4 * i));
      const serverOverlay = await decodeImage(fromDataUrl(ref.maps.overlay), 'overlay');

      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const problems: string[] = [];
      let expectedFailedLoads = 0;
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        // Chromium logs every non-2xx fetch; the one deliberate bad upload below is expected, nothing else.
        if (
          expectedFailedLoads > 0 &&
          /^Failed to load resource: the server responded with a status of 422/.test(m.text()) &&
          m.location().url.endsWith('/v1/segment?maps=classes,heat,raw')
        ) {
          expectedFailedLoads--;
          return;
        }
        problems.push(`console error: ${m.text()} (${m.location().url})`);
      });
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));

      await t.test('the page loads, says how inference runs and shows the legend of the model', async () => {
        await page.goto(`${base}/`);
        await page.waitForFunction(() => document.getElementById('status').dataset.state === 'ok', undefined, {
          timeout: 30_000,
        });
        const status = await page.locator('#status').textContent();
        assert.match(status ?? '', new RegExp(`^Inference: gmmseg service at ${base}, engine ${model.engine}`));
        const legend = await page.locator('#class-legend li').allTextContents();
        assert.deepEqual(
          legend,
          model.classes.map((c) => c.name),
        );
        const slider = await page.evaluate(() => {
          const s = document.getElementById('threshold');
          return { min: Number(s.min), max: Number(s.max), value: Number(s.value), disabled: s.disabled as boolean };
        });
        assert.deepEqual(
          { ...slider, value: 0 },
          { min: model.heatScale.min, max: model.heatScale.max, value: 0, disabled: false },
        );
        // The range input serialises its value with ~15 significant digits; the page keeps the exact threshold.
        expectClose(slider.value, model.threshold, { rtol: 1e-13, atol: 0 });
        assert.equal(Number((await dataset(page, '#heat-ticks .threshold')).value), model.threshold);
        const ticks = await page.locator('#heat-ticks .tick').allTextContents();
        assert.equal(ticks.length, 3);
        assert.match(ticks[1] ?? '', /^threshold /);
        assert.match((await page.locator('#legend').textContent()) ?? '', /Anomaly score/);
      });

      await t.test(
        'uploading a PNG draws the original, class map, heat map and overlay exactly as the service computes them',
        async () => {
          await page.setInputFiles('#file-input', {
            name: 'scene.png',
            mimeType: 'image/png',
            buffer: Buffer.from(png),
          });
          await waitForResult(page, 'scene.png');
          const [original, classes, heat, overlay] = await Promise.all(
            ['original', 'classes', 'heat', 'overlay'].map((k) => readCanvas(page, `canvas-${k}`)),
          );
          for (const c of [original, classes, heat, overlay]) assert.deepEqual([c!.width, c!.height], [W, H]);
          assert.equal(differingPixels(original!.rgb, image.data), 0, 'original canvas = the uploaded pixels');
          const palette = model.classes.map((c) => c.color);
          const expectedClasses = new Uint8Array(W * H * 3);
          labels.forEach((l, i) => expectedClasses.set(palette[l] as number[], 3 * i));
          assert.equal(
            differingPixels(classes!.rgb, expectedClasses),
            0,
            'class canvas = palette colour of each pixel label',
          );
          assert.ok(new Set(labels).size >= 1 && [...new Set(labels)].every((l) => l < model.classes.length));
          const expectedHeat = heatmap({ width: W, height: H, data: scores }, model.heatScale).data;
          assert.equal(
            differingPixels(heat!.rgb, expectedHeat),
            0,
            'heat canvas = inferno(score) on the model heat scale',
          );
          const heatColours = new Set<number>();
          for (let p = 0; p < W * H; p++)
            heatColours.add((heat!.rgb[3 * p]! << 16) | (heat!.rgb[3 * p + 1]! << 8) | heat!.rgb[3 * p + 2]!);
          assert.ok(heatColours.size >= 8, `heat canvas is not uniform (${heatColours.size} colours)`);
          assert.equal(
            differingPixels(overlay!.rgb, serverOverlay.data),
            0,
            'overlay recomputed in the page = the service overlay',
          );
          const frac = await dataset(page, '#anomaly-fraction');
          assert.equal(Number(frac.fraction), ref.anomaly.fraction);
          const exp = expectedAt(scores, model.threshold, W, H);
          assert.equal(Number(frac.flagged), exp.flagged);
          assert.equal(Number((await dataset(page, '#regions')).count), exp.regions);
          const areas = await page
            .locator('#regions li.region')
            .evaluateAll((lis) => lis.map((li) => Number((li as { dataset: { area: string } }).dataset.area)));
          assert.deepEqual(
            areas,
            ref.anomaly.regions.slice(0, areas.length).map((r) => r.area),
            'region list = the service regions, largest first',
          );
          assert.match(
            (await page.locator('#status').textContent()) ?? '',
            new RegExp(
              `engine ${ref.engine} · scene\\.png ${W}×${H}: \\d+ ms round trip \\(service: decode \\d+ ms, predict \\d+ ms, total \\d+ ms\\)`,
            ),
          );
        },
      );

      await t.test('moving the slider updates the fraction, regions and overlay live (no new request)', async () => {
        const segmentRequests = (): number => requested.filter((u) => u.includes('/v1/segment')).length;
        const before = segmentRequests();
        const at = async (): Promise<{
          t: number;
          fraction: number;
          flagged: number;
          regions: number;
          text: string;
        }> => {
          const d = await dataset(page, '#anomaly-fraction');
          return {
            t: Number(d.threshold),
            fraction: Number(d.fraction),
            flagged: Number(d.flagged),
            regions: Number((await dataset(page, '#regions')).count),
            text: (await page.locator('#anomaly-fraction').textContent()) ?? '',
          };
        };
        const initial = await at();
        // A lower threshold through the input (fill sets the value and fires 'input').
        const sorted = Float32Array.from(scores).sort();
        // 6 significant digits, so the value survives the input's number serialisation unchanged.
        const low = Number(
          Math.max(
            model.heatScale.min,
            Math.min(model.threshold, sorted[Math.floor(0.4 * sorted.length)]!) - 1e-6,
          ).toPrecision(6),
        );
        await page.locator('#threshold').fill(String(low));
        await page.waitForFunction(
          (v: number) => Number(document.getElementById('anomaly-fraction').dataset.threshold) === v,
          low,
        );
        const lowered = await at();
        const expLow = expectedAt(scores, lowered.t, W, H);
        assert.equal(lowered.flagged, expLow.flagged);
        assert.equal(lowered.fraction, expLow.flagged / (W * H));
        assert.equal(lowered.regions, expLow.regions);
        assert.ok(lowered.fraction >= initial.fraction, 'a lower threshold flags at least as many pixels');
        assert.ok(
          expLow.flagged > initial.flagged,
          'the chosen lower threshold flags more pixels (the test exercises a change)',
        );
        assert.notEqual(lowered.text, initial.text);
        assert.equal(await page.locator('#threshold-value').textContent(), lowered.t.toPrecision(4));
        const overlayLow = await readCanvas(page, 'canvas-overlay');
        const refLow = await fetch(`${base}/v1/segment?maps=overlay&threshold=${lowered.t}`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: png,
        });
        const overlayLowRef = await decodeImage(
          fromDataUrl(((await refLow.json()) as SegmentAnswer).maps.overlay),
          'overlay',
        );
        assert.equal(
          differingPixels(overlayLow.rgb, overlayLowRef.data),
          0,
          'overlay at the new threshold = the service overlay at that threshold',
        );
        // The keyboard: End = the top of the scale (fewest flagged), Home = the bottom (most flagged).
        await page.locator('#threshold').focus();
        const sliderApplied = (): Promise<unknown> =>
          page.waitForFunction(
            () =>
              Number(document.getElementById('anomaly-fraction').dataset.threshold) ===
              Number(document.getElementById('threshold').value),
          );
        await page.keyboard.press('End');
        await sliderApplied();
        const top = await at();
        expectClose(top.t, model.heatScale.max, { rtol: 1e-13, atol: 0 });
        assert.equal(top.flagged, expectedAt(scores, top.t, W, H).flagged);
        assert.ok(top.fraction <= initial.fraction);
        await page.keyboard.press('Home');
        await sliderApplied();
        const bottom = await at();
        expectClose(bottom.t, model.heatScale.min, { rtol: 1e-13, atol: 0 });
        assert.equal(bottom.regions, expectedAt(scores, bottom.t, W, H).regions);
        assert.ok(bottom.fraction >= lowered.fraction);
        await page.locator('#threshold-reset').click();
        await page.waitForFunction(
          (v: number) => Number(document.getElementById('anomaly-fraction').dataset.threshold) === v,
          model.threshold,
        );
        assert.deepEqual(await at(), initial);
        assert.equal(segmentRequests(), before, 'the slider never calls the service');
      });

      await t.test('hovering a panel reads the pixel, its class and score', async () => {
        const biggest = ref.anomaly.regions[0];
        // A pixel of the largest flagged region when there is one, else the centre.
        let px = Math.floor(W / 2);
        let py = Math.floor(H / 2);
        if (biggest !== undefined) {
          const i = scores.findIndex((s) => s > model.threshold);
          [px, py] = [i % W, Math.floor(i / W)];
        }
        for (const [id, x, y] of [
          ['canvas-classes', px, py],
          ['canvas-heat', 3, H - 4],
        ] as const) {
          const box = await page.locator(`#${id}`).boundingBox();
          assert.ok(box !== null);
          await page.mouse.move(box.x + ((x + 0.5) * box.width) / W, box.y + ((y + 0.5) * box.height) / H);
          await page.waitForFunction(
            ([a, b]: number[]) => {
              const d = document.getElementById('hover-info').dataset;
              return d.x === String(a) && d.y === String(b);
            },
            [x, y],
          );
          const d = await dataset(page, '#hover-info');
          const i = y * W + x;
          const name = model.classes[labels[i]!]!.name;
          assert.equal(d.class, name);
          assert.equal(Number(d.score), scores[i]);
          assert.equal(d.flagged, String(scores[i]! > model.threshold));
          const text = (await page.locator('#hover-info').textContent()) ?? '';
          assert.ok(text.startsWith(`(${x}, ${y}) · class ${name} · anomaly score ${scores[i]!.toPrecision(4)}`), text);
        }
        await mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'web-e2e.png'), fullPage: true });
      });

      await t.test('the download buttons save the maps as PNG', async () => {
        for (const [button, suffix, canvas] of [
          ['download-classes', 'classes', 'canvas-classes'],
          ['download-heat', 'anomaly', 'canvas-heat'],
          ['download-overlay', 'overlay', 'canvas-overlay'],
        ] as const) {
          const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`#${button}`).click()]);
          assert.equal(download.suggestedFilename(), `scene.${suffix}.png`);
          const file = path.join(dir, download.suggestedFilename());
          await download.saveAs(file);
          const saved = await decodeImage(await readFile(file), file);
          const shown = await readCanvas(page, canvas);
          assert.deepEqual([saved.width, saved.height], [W, H]);
          assert.equal(differingPixels(saved.data, shown.rgb), 0, `${button} saves what the canvas shows`);
        }
      });

      await t.test('a broken upload shows the service error and keeps the page usable', async () => {
        const broken = png.subarray(0, 60);
        const direct = await fetch(`${base}/v1/segment`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: broken,
        });
        const err = ((await direct.json()) as { error: { code: string; message: string } }).error;
        assert.equal(direct.status, 422);
        expectedFailedLoads = 1;
        await page.setInputFiles('#file-input', {
          name: 'broken.png',
          mimeType: 'image/png',
          buffer: Buffer.from(broken),
        });
        await page.locator('#error').waitFor({ state: 'visible' });
        const shown = (await page.locator('#error').textContent()) ?? '';
        assert.ok(shown.startsWith('broken.png: '), shown);
        assert.ok(shown.toLowerCase().includes(err.message.toLowerCase()), `${shown} should include ${err.message}`);
        assert.ok(shown.includes(`(HTTP 422, ${err.code})`), shown);
        await page.waitForFunction(() => document.getElementById('status').dataset.state === 'ok');
        await page.setInputFiles('#file-input', { name: 'scene.png', mimeType: 'image/png', buffer: Buffer.from(png) });
        await waitForResult(page, 'scene.png');
        assert.equal(await page.locator('#error').isHidden(), true, 'a good upload clears the error');
        assert.equal(expectedFailedLoads, 0, 'the failed request was logged once');
      });

      await t.test('no console errors, no page errors, nothing fetched from outside the service', async () => {
        assert.deepEqual(problems, []);
        const outside = requested.filter(
          (u) => !u.startsWith(`${base}/`) && !u.startsWith('data:') && !u.startsWith('blob:'),
        );
        assert.deepEqual(outside, []);
      });

      await t.test(
        'at phone width (390×844, dark theme) the panels stack in one column without horizontal scrolling',
        async () => {
          const phone = await browser!.newContext({
            viewport: { width: 390, height: 844 },
            deviceScaleFactor: 2,
            hasTouch: true,
            isMobile: true,
            colorScheme: 'dark',
          });
          const p = await phone.newPage();
          const errors: string[] = [];
          p.on('pageerror', (e) => errors.push(e.message));
          p.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
          await p.goto(`${base}/`);
          await p.waitForFunction(() => document.getElementById('status').dataset.state === 'ok');
          await p.setInputFiles('#file-input', { name: 'scene.png', mimeType: 'image/png', buffer: Buffer.from(png) });
          await waitForResult(p, 'scene.png');
          const boxes = await Promise.all(
            ['original', 'classes', 'heat', 'overlay'].map(async (k) =>
              p.locator(`#panels [data-panel="${k}"]`).boundingBox(),
            ),
          );
          for (let i = 0; i < boxes.length; i++) {
            const b = boxes[i]!;
            assert.ok(b.x >= 0 && b.x + b.width <= 390, `panel ${i} fits the width: x ${b.x}, width ${b.width}`);
            assert.ok(Math.abs(b.x - boxes[0]!.x) < 1, 'one column: same left edge');
            if (i > 0) assert.ok(b.y >= boxes[i - 1]!.y + boxes[i - 1]!.height, 'each panel below the previous one');
          }
          assert.ok(boxes[0]!.width > 300, `panels use the width (${boxes[0]!.width} px)`);
          const scrollWidth = await p.evaluate(() => document.documentElement.scrollWidth as number);
          assert.ok(scrollWidth <= 390, `no horizontal scrolling (scrollWidth ${scrollWidth})`);
          await p.locator('#canvas-overlay').tap();
          await p.waitForFunction(() => document.getElementById('hover-info').dataset.x !== undefined);
          await mkdir(ARTIFACTS, { recursive: true });
          await p.screenshot({ path: path.join(ARTIFACTS, 'web-e2e-phone.png'), fullPage: true });
          const background = await p.evaluate(() => getComputedStyle(document.body).backgroundColor as string);
          assert.equal(background, 'rgb(15, 17, 21)', 'the dark theme follows the system setting');
          assert.deepEqual(errors, []);
          await phone.close();
        },
      );

      await t.test(
        'a static build (gmmseg web-build --service URL) calls the service named in its config.json',
        async () => {
          const site = path.join(dir, 'site');
          const wb = await runCli(webBuildCommand, ['web-build', '--out', site, '--service', base]);
          assert.equal(wb.code, 0, wb.err);
          // The built files are served by the browser's request routing from a folder the service never sees
          // (same origin as the service, so this checks config.json, not CORS).
          const ctx = await browser!.newContext({ viewport: { width: 1024, height: 768 } });
          const sitePrefix = `${base}/static-site/`;
          await ctx.route(`${sitePrefix}**`, async (route) => {
            const name = new URL(route.request().url()).pathname.slice('/static-site/'.length) || 'index.html';
            const types: Record<string, string> = {
              '.html': 'text/html',
              '.js': 'text/javascript',
              '.css': 'text/css',
              '.json': 'application/json',
            };
            const file = path.join(site, path.basename(name));
            if (!existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
            return route.fulfill({
              status: 200,
              contentType: types[path.extname(file)] ?? 'application/octet-stream',
              body: await readFile(file),
            });
          });
          const p = await ctx.newPage();
          const seen: string[] = [];
          p.on('request', (r) => seen.push(r.url()));
          await p.goto(`${sitePrefix}index.html`);
          await p.waitForFunction(() => document.getElementById('status').dataset.state === 'ok');
          assert.match(
            (await p.locator('#status').textContent()) ?? '',
            new RegExp(`^Inference: gmmseg service at ${base}/, engine `),
          );
          await p.setInputFiles('#file-input', { name: 'scene.png', mimeType: 'image/png', buffer: Buffer.from(png) });
          await waitForResult(p, 'scene.png');
          assert.ok(seen.includes(`${sitePrefix}config.json`));
          assert.ok(
            seen.includes(`${base}/v1/model`) && seen.some((u) => u.startsWith(`${base}/v1/segment?`)),
            'API calls go to the configured service',
          );
          assert.equal(Number((await dataset(p, '#anomaly-fraction')).fraction), ref.anomaly.fraction);
          await ctx.close();
        },
      );
      await context.close();
    } finally {
      await browser?.close();
      await app?.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
