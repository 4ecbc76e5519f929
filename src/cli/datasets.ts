/**
 * The dataset name → reader map of the command line (the one place where a dataset is chosen by string).
 */
import { openAde20k } from '../data/ade20k.js';
import { openCamVidAnomaly } from '../data/camvid-anomaly.js';
import { openCamVid, type CamVidSplit } from '../data/camvid.js';
import { openCityscapes } from '../data/cityscapes.js';
import { buildDigitScenes } from '../data/digit-scenes.js';
import { openFishyscapes } from '../data/fishyscapes.js';
import { openFolder } from '../data/folder.js';
import { openCamVidHeldOut } from '../data/held-out.js';
import { openRoadAnomaly } from '../data/road-anomaly.js';
import type { ReaderOptions } from '../data/files.js';
import type { Dataset } from '../data/sample.js';
import { openSmiyc } from '../data/smiyc.js';
import { openVoc } from '../data/voc.js';
import { ValueError } from '../errors.js';

/** How to open a dataset: root folder (ignored by the generated set), split, reader flags. */
export interface DatasetRequest {
  root: string;
  split: string;
  skipBad: boolean;
  seed: number;
  /** Class names held out by `camvid-heldout` (default Pedestrian, Bicyclist). */
  heldOut?: string[];
  /** Check every sample when the set is opened (see ReaderOptions.validate); generated sets need no check. */
  validate?: boolean;
  /** Progress of that check: `done` of `total` samples. */
  onProgress?: (done: number, total: number) => void;
}

/** The reader options of a request. */
function reader(r: DatasetRequest): ReaderOptions {
  return {
    skipBad: r.skipBad,
    ...(r.validate !== undefined ? { validate: r.validate } : {}),
    ...(r.onProgress ? { onProgress: r.onProgress } : {}),
  };
}

type Opener = (r: DatasetRequest) => Promise<Dataset>;

const digitSplit = async (r: DatasetRequest): Promise<Dataset> => {
  const ds = await buildDigitScenes({ seed: r.seed });
  if (r.split !== 'train' && r.split !== 'test' && r.split !== 'anomaly')
    throw new ValueError(`digit-scenes has splits train, test, anomaly; got '${r.split}'`);
  return ds[r.split];
};

/** Every dataset the CLI can open. */
export const DATASETS: Record<string, Opener> = {
  'digit-scenes': digitSplit,
  camvid: (r) => openCamVid(r.root, r.split as CamVidSplit, reader(r)),
  // train/val/test: closed set without the held-out classes; 'anomaly' (--anomaly-dataset): test, held-out = 1
  'camvid-heldout': (r) => openCamVidHeldOut(r.root, r.split, { ...reader(r), heldOut: r.heldOut }),
  'camvid-anomaly': async (r) => (await openCamVidAnomaly(r.root, { ...reader(r), seed: r.seed })).anomaly,
  cityscapes: (r) => openCityscapes(r.root, r.split, reader(r)),
  ade20k: (r) => openAde20k(r.root, r.split as 'train' | 'val', reader(r)),
  voc: (r) => openVoc(r.root, r.split, reader(r)),
  folder: (r) => openFolder(r.root, reader(r)),
  'road-anomaly': (r) => openRoadAnomaly(r.root, reader(r)),
  'fishyscapes-lost-and-found': (r) => openFishyscapes(r.root, 'LostAndFound', reader(r)),
  'fishyscapes-static': (r) => openFishyscapes(r.root, 'Static', reader(r)),
  'smiyc-anomaly': (r) => openSmiyc(r.root, 'RoadAnomaly21', reader(r)),
  'smiyc-obstacle': (r) => openSmiyc(r.root, 'RoadObstacle21', reader(r)),
};

/** Opens a dataset by name; an unknown name lists the valid ones. */
export async function openDataset(name: string, req: DatasetRequest): Promise<Dataset> {
  const open = DATASETS[name];
  if (!open) throw new ValueError(`unknown dataset '${name}'; valid: ${Object.keys(DATASETS).join(', ')}`);
  if (req.heldOut && name !== 'camvid-heldout')
    throw new ValueError(`--held-out applies to camvid-heldout, not '${name}'`);
  return open(req);
}
