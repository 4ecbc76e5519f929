/**
 * The clients of `bench/load.ts`: each kind loops until the deadline and records its answers by status code.
 * - normal: a real image; a 200 must equal the image's reference answer (apart from `timingMs`), 503/504 count as
 *   refusals (the service was busy), any other answer or a different 200 as wrong, no answer as lost;
 * - bomb: an all-zero PNG at the pixel limit (a few KB that decode to the largest accepted image);
 * - slow: a raw socket that sends its headers, then 1 byte every 0.5 s;
 * - garbage: random bytes as an image, or a cut multipart form.
 * A health prober measures the latency of GET /healthz every 50 ms and reads the service's RSS.
 */
import net from 'node:net';
import { comparable } from './serve-load.js';

/** One image to send. */
export interface LoadImage {
  bytes: Uint8Array;
  type: string;
}

/** Answers of one client kind. */
export interface KindResult {
  byStatus: Record<string, number>;
  wrong: number;
  lost: number;
}

export const newKindResult = (): KindResult => ({ byStatus: {}, wrong: 0, lost: 0 });

function count(r: KindResult, status: number | string): void {
  r.byStatus[status] = (r.byStatus[status] ?? 0) + 1;
}

async function post(url: string, body: Uint8Array, type: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, body: await res.text() };
}

/** Normal images in a loop; answers checked against `references` (same order as `images`). */
export async function normalClient(
  url: string,
  images: LoadImage[],
  references: string[],
  until: number,
  r: KindResult,
): Promise<void> {
  for (let i = 0; performance.now() < until; i++) {
    const k = i % images.length;
    const image = images[k] as LoadImage;
    let answer: { status: number; body: string };
    try {
      answer = await post(url, image.bytes, image.type);
    } catch {
      r.lost++;
      continue;
    }
    count(r, answer.status);
    if (answer.status === 503 || answer.status === 504) continue;
    if (answer.status !== 200) {
      r.wrong++;
      continue;
    }
    try {
      if (comparable(answer.body) !== references[k]) r.wrong++;
    } catch {
      r.lost++;
    }
  }
}

/** The same request in a loop (bombs, garbage); every answer counted by status, network errors as lost. */
export async function repeatClient(url: string, bodies: LoadImage[], until: number, r: KindResult): Promise<void> {
  for (let i = 0; performance.now() < until; i++) {
    const b = bodies[i % bodies.length] as LoadImage;
    try {
      count(r, (await post(url, b.bytes, b.type)).status);
    } catch {
      r.lost++;
    }
  }
}

/** Slow uploads in a loop: headers, then 1 byte every `intervalMs`; counts the status the service answers with. */
export async function slowClient(
  port: number,
  body: Uint8Array,
  intervalMs: number,
  until: number,
  r: KindResult,
): Promise<void> {
  while (performance.now() < until) {
    const status = await new Promise<number>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let received = '';
      let offset = 0;
      const ticker = setInterval(() => {
        if (offset < body.length && !socket.destroyed) socket.write(body.subarray(offset, ++offset));
      }, intervalMs);
      const done = (): void => {
        clearInterval(ticker);
        socket.destroy();
        resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(received)?.[1] ?? 0));
      };
      socket.on('data', (d: Buffer) => void (received += d.toString('latin1')));
      socket.on('end', done);
      socket.on('error', done);
      socket.write(
        `POST /v1/segment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
    });
    if (status === 0) r.lost++;
    else count(r, status);
  }
}

/** GET /healthz every `intervalMs` until `until`: latencies (ms; a failure counts as lost) and RSS samples. */
export async function healthProbe(
  url: string,
  intervalMs: number,
  until: () => boolean,
): Promise<{ latenciesMs: number[]; rssBytes: number[]; lost: number }> {
  const out = { latenciesMs: [] as number[], rssBytes: [] as number[], lost: 0 };
  while (!until()) {
    const t0 = performance.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { rssBytes: number };
      out.latenciesMs.push(performance.now() - t0);
      out.rssBytes.push(body.rssBytes);
    } catch {
      out.lost++;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return out;
}
