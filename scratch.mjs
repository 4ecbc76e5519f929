const { freshModel, serverFor, multipartBody, png, sceneImages } = await import('./dist/tests/unit/server/fixture.js');
const { createRng, randInt } = await import('./dist/src/random.js');
const app = await serverFor(await freshModel(), { logLevel: 'error', bodyTimeoutMs: 6000 });
const rng = createRng(1);
const scene = png((await sceneImages(2))[1]);
for (const side of [40, 100, 200]) {
  const bytes = side === 200 ? scene : png({ width: side, height: side, data: new Uint8Array(side * side * 3).map(() => randInt(rng, 256)) });
  const form = multipartBody([{ field: 'image', filename: 'x.png', type: 'image/png', data: bytes }]);
  const t0 = Date.now();
  const r = await app.inject({ method: 'POST', url: '/v1/segment', headers: { 'content-type': form.contentType }, payload: form.body });
  console.log(side, bytes.length, r.statusCode, Date.now() - t0, 'ms', r.statusCode !== 200 ? r.body.slice(0, 120) : '');
}
await app.close();
