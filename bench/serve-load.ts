/**
 * The load phase of `bench/serve.ts`: reference answers, concurrent clients over a shared request counter, answer
 * checks and /healthz memory sampling. Uses Node's global fetch (keep-alive connections on loopback).
 */

/** One image to send. */
export interface BenchImage {
  bytes: Uint8Array;
  type: string;
}

/** What the load phase measured. */
export interface LoadResult {
  engine: string;
  wallMs: number;
  /** Latency of every answered request, ms. */
  latenciesMs: number[];
  ok: number;
  /** Non-200 answers. */
  errors: number;
  errorStatuses: Record<string, number>;
  /** 200 answers that differ from the reference, and non-200 answers other than 503. */
  wrong: number;
  /** Requests without an answer. */
  lost: number;
  rss: { first: number; last: number; max: number; samples: number };
}

/** Settings of {@link runClients}. */
export interface LoadSettings {
  url: string;
  healthUrl: string;
  images: BenchImage[];
  clients: number;
  requests: number;
}

/** Interval of the /healthz memory samples, ms. */
const HEALTH_INTERVAL_MS = 250;

/** The answer text with `timingMs` removed (the only field allowed to differ between identical requests). */
export function comparable(body: string): string {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  delete parsed.timingMs;
  return JSON.stringify(parsed);
}

async function post(url: string, image: BenchImage): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': image.type }, body: image.bytes });
  return { status: res.status, body: await res.text() };
}

/** Reference answers, one request at a time. */
async function referenceAnswers(settings: LoadSettings): Promise<{ answers: string[]; engine: string }> {
  const answers: string[] = [];
  let engine = '';
  for (const [i, image] of settings.images.entries()) {
    const r = await post(settings.url, image);
    if (r.status !== 200)
      throw new Error(`bench serve: the reference request for image ${i} got ${r.status}: ${r.body.slice(0, 500)}`);
    engine = (JSON.parse(r.body) as { engine: string }).engine;
    answers.push(comparable(r.body));
  }
  return { answers, engine };
}

/** Samples /healthz rssBytes until `stop()`; returns the samples. */
function sampleMemory(healthUrl: string): { stop: () => Promise<number[]> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const r = await fetch(healthUrl);
        samples.push(((await r.json()) as { rssBytes: number }).rssBytes);
      } catch {
        // a missed sample is not a lost request; the load phase counts those
      }
      await new Promise((resolve) => setTimeout(resolve, HEALTH_INTERVAL_MS));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Runs the load phase (module comment of bench/serve.ts, steps 3 and 4). */
export async function runClients(settings: LoadSettings): Promise<LoadResult> {
  const { answers, engine } = await referenceAnswers(settings);
  const result: LoadResult = {
    engine,
    wallMs: 0,
    latenciesMs: [],
    ok: 0,
    errors: 0,
    errorStatuses: {},
    wrong: 0,
    lost: 0,
    rss: { first: 0, last: 0, max: 0, samples: 0 },
  };
  const memory = sampleMemory(settings.healthUrl);
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < settings.requests) {
      const i = next++;
      const k = i % settings.images.length;
      const t0 = performance.now();
      let r: { status: number; body: string };
      try {
        r = await post(settings.url, settings.images[k] as BenchImage);
      } catch {
        result.lost++;
        continue;
      }
      result.latenciesMs.push(performance.now() - t0);
      check(result, r, answers[k] as string);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: settings.clients }, client));
  result.wallMs = performance.now() - t0;
  const rss = await memory.stop();
  result.rss = { first: rss[0] ?? NaN, last: rss[rss.length - 1] ?? NaN, max: Math.max(...rss), samples: rss.length };
  return result;
}

/** Classifies one answer. */
function check(result: LoadResult, r: { status: number; body: string }, reference: string): void {
  if (r.status !== 200) {
    result.errors++;
    result.errorStatuses[r.status] = (result.errorStatuses[r.status] ?? 0) + 1;
    if (r.status !== 503) result.wrong++;
    return;
  }
  let same: boolean;
  try {
    same = comparable(r.body) === reference;
  } catch {
    result.lost++; // a 200 without a readable body never arrived whole
    return;
  }
  if (same) result.ok++;
  else result.wrong++;
}

/** Ascending copy of the latencies. */
export function sortedAscending(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Lower empirical quantile (inverted CDF) of ascending values; NaN when empty. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const k = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[k - 1] as number;
}
