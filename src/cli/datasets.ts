/**
 * The dataset name → reader map of the command line (the one place where a dataset is chosen by string).
 */
import { openAde20k } from '../data/ade20k.js';
import { openCamVidAnomaly } from '../data/camvid-anomaly.js';
import { openCamVid } from '../data/camvid.js';
import { openCityscapes } from '../data/cityscapes.js';
import { buildDigitScenes } from '../data/digit-scenes.js';
import { openFishyscapes } from '../data/fishyscapes.js';
import { openFolder } from '../data/folder.js';
import { openCamVidHeldOut } from '../data/held-out.js';
import { openRoadAnomaly } from '../data/road-anomaly.js';
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
  camvid: (r) => openCamVid(r.root, r.split as 'train' | 'val' | 'test', { skipBad: r.skipBad }),
  // train/val/test: closed set without the held-out classes; 'anomaly' (--anomaly-dataset): test, held-out = 1
  'camvid-heldout': (r) => openCamVidHeldOut(r.root, r.split, { skipBad: r.skipBad, heldOut: r.heldOut }),
  'camvid-anomaly': async (r) => (await openCamVidAnomaly(r.root, { seed: r.seed, skipBad: r.skipBad })).anomaly,
  cityscapes: (r) => openCityscapes(r.root, r.split, { skipBad: r.skipBad }),
  ade20k: (r) => openAde20k(r.root, r.split as 'train' | 'val', { skipBad: r.skipBad }),
  voc: (r) => openVoc(r.root, r.split, { skipBad: r.skipBad }),
  folder: (r) => openFolder(r.root, { skipBad: r.skipBad }),
  'road-anomaly': (r) => openRoadAnomaly(r.root, { skipBad: r.skipBad }),
  'fishyscapes-lost-and-found': (r) => openFishyscapes(r.root, 'LostAndFound', { skipBad: r.skipBad }),
  'fishyscapes-static': (r) => openFishyscapes(r.root, 'Static', { skipBad: r.skipBad }),
  'smiyc-anomaly': (r) => openSmiyc(r.root, 'RoadAnomaly21', { skipBad: r.skipBad }),
  'smiyc-obstacle': (r) => openSmiyc(r.root, 'RoadObstacle21', { skipBad: r.skipBad }),
};

/** Opens a dataset by name; an unknown name lists the valid ones. */
export async function openDataset(name: string, req: DatasetRequest): Promise<Dataset> {
  const open = DATASETS[name];
  if (!open) throw new ValueError(`unknown dataset '${name}'; valid: ${Object.keys(DATASETS).join(', ')}`);
  if (req.heldOut && name !== 'camvid-heldout')
    throw new ValueError(`--held-out applies to camvid-heldout, not '${name}'`);
  return open(req);
}
