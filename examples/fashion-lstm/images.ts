/**
 * A grid of grayscale 28×28 images as SVG, each captioned with its true and
 * predicted class (the prediction in red when wrong). Pixels are drawn as
 * one rect per run of equal shade in a row, so a grid of two dozen images
 * stays a few hundred kilobytes.
 */
import type { ImageSet } from '../lib/fashion.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function imageGrid(set: ImageSet, count: number, predictions: Int32Array, classes: readonly string[], title: string): string {
  const scale = 4, side = 28 * scale, cols = 6, cellW = side + 40, cellH = side + 44;
  const rows = Math.ceil(count / cols);
  const width = cols * cellW + 20, height = rows * cellH + 50;
  const svg = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12" shape-rendering="crispEdges">`, `<rect width="100%" height="100%" fill="white"/>`, `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`];
  for (let k = 0; k < count; k++) {
    const ox = 10 + (k % cols) * cellW + 20, oy = 40 + Math.floor(k / cols) * cellH;
    svg.push(`<rect x="${ox}" y="${oy}" width="${side}" height="${side}" fill="black"/>`);
    for (let r = 0; r < 28; r++) {
      let c = 0;
      while (c < 28) {
        const shade = Math.round(255 * set.x[k * 784 + r * 28 + c]!);
        let end = c + 1;
        while (end < 28 && Math.round(255 * set.x[k * 784 + r * 28 + end]!) === shade) end++;
        if (shade > 0) svg.push(`<rect x="${ox + c * scale}" y="${oy + r * scale}" width="${(end - c) * scale}" height="${scale}" fill="rgb(${shade},${shade},${shade})"/>`);
        c = end;
      }
    }
    const truth = set.y[k]!, pred = predictions[k]!;
    svg.push(`<text x="${ox + side / 2}" y="${oy + side + 15}" text-anchor="middle">${esc(classes[truth]!)}</text>`);
    svg.push(`<text x="${ox + side / 2}" y="${oy + side + 31}" text-anchor="middle" fill="${pred === truth ? '#009E73' : '#D55E00'}">→ ${esc(classes[pred]!)}</text>`);
  }
  svg.push('</svg>');
  return svg.join('');
}
