/**
 * The messages between the service and its segmentation workers (child processes, IPC with Node's 'advanced'
 * serialization, so typed arrays travel as bytes). One init, then one job at a time:
 *
 *   service → worker: {@link WorkerInit}, then {@link WorkerJob}s
 *   worker → service: `ready` (or `failed`) once, then one `result` or `error` per job
 *
 * Every worker message carries the worker's resident set size after the work, for health reports and recycling.
 */
import type { EngineName } from '../engine/engine.js';
import type { AnomalySettings } from '../infer/anomaly-settings.js';
import type { Palette } from '../infer/palette.js';
import type { ModelFile } from '../model/model-types.js';
import type { ErrorCode } from './errors.js';
import type { ImageHeader } from './image-header.js';
import type { MapName } from './maps.js';

/** What a worker needs to segment: the engine, the model file's data and the service's answer settings. */
export interface WorkerInit {
  type: 'init';
  engine: EngineName;
  /** The decoded model file (plain data and typed arrays); the worker builds its own model from it. */
  file: ModelFile;
  settings: AnomalySettings;
  palette: Palette;
  minRegionArea: number;
  maxRegions: number;
}

/** Milliseconds a request spent in the service before its work started. */
export interface WaitTimes {
  /** Arrival (headers read) to the whole body received. */
  receive: number;
  /** Body received to the work's start (waiting for a worker). */
  queue: number;
}

/** One segmentation: image bytes whose header passed the checks, and the request's choices. */
export interface WorkerJob {
  type: 'job';
  id: number;
  bytes: Uint8Array;
  header: ImageHeader;
  maps: MapName[];
  threshold?: number;
  waits: WaitTimes;
}

/** The worker is ready for jobs. */
export interface WorkerReady {
  type: 'ready';
  rssBytes: number;
}

/** The worker could not start (engine or model); `message` says why, for people. */
export interface WorkerFailed {
  type: 'failed';
  message: string;
  /** The stack when the failure was not a user error (a bug), for the log. */
  detail?: string;
}

/** A job's 200 answer: the JSON body as UTF-8 bytes (serialised in the worker, sent as it is). */
export interface WorkerResult {
  type: 'result';
  id: number;
  body: Uint8Array;
  rssBytes: number;
}

/** A job's error answer; `detail` (a stack) is logged, never sent to the client. */
export interface WorkerError {
  type: 'error';
  id: number;
  status: number;
  code: ErrorCode;
  message: string;
  detail?: string;
  rssBytes: number;
}

/** Anything a worker sends. */
export type WorkerReply = WorkerReady | WorkerFailed | WorkerResult | WorkerError;

/** Anything the service sends. */
export type WorkerRequest = WorkerInit | WorkerJob;
