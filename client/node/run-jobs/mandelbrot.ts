/** `processdistro run mandelbrot`: escape counts of a view, as a PNG and raw uint32 counts. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import {
  countsToRgba,
  encodeU32LE,
  mandelbrot,
  type MandelbrotOutput,
  type MandelbrotParams,
} from '../../../kernels/mandelbrot/meta.ts';
import { isPdError } from '../../protocol/errors.ts';
import { integerFlag, numberFlag, UsageError } from '../args.ts';
import { flagText, type RunJobSpec } from './run-job-spec.ts';

export const mandelbrotJob: RunJobSpec = {
  kernel: 'mandelbrot',
  summary: 'render the Mandelbrot set (escape counts per pixel)',
  help: `      --width <n>        image width in pixels                [default 1920, at most 7680]
      --height <n>       image height in pixels               [default 1080, at most 4320]
      --cx <x>           real part of the image centre        [default -0.5]
      --cy <y>           imaginary part of the image centre   [default 0]
      --scale <s>        complex units per pixel              [default 3 / width]
      --max-iter <n>     iteration cap                        [default 1000]
Writes DIR/mandelbrot.png, DIR/mandelbrot.u32 (one little-endian uint32 count per pixel,
row-major, top row first) and DIR/report.json.`,
  example:
    'processdistro run mandelbrot --width 1920 --height 1080 --cx -0.5 --cy 0 --scale 0.0015625 --max-iter 1000 --local-peers 2 --out out',
  flags: {
    width: { type: 'string' },
    height: { type: 'string' },
    cx: { type: 'string' },
    cy: { type: 'string' },
    scale: { type: 'string' },
    'max-iter': { type: 'string' },
  },
  params(values) {
    const text = (name: string) => flagText(values, name);
    const width = integerFlag('--width', text('width'), 1, 7680, 1920);
    const params = {
      width,
      height: integerFlag('--height', text('height'), 1, 4320, 1080),
      cx: numberFlag('--cx', text('cx'), { fallback: -0.5 }),
      cy: numberFlag('--cy', text('cy'), { fallback: 0 }),
      scale: numberFlag('--scale', text('scale'), { positive: true, fallback: 3 / width }),
      maxIter: integerFlag('--max-iter', text('max-iter'), 1, 1_000_000, 1000),
    };
    try {
      return mandelbrot.parseParams(params);
    } catch (err) {
      throw new UsageError(isPdError(err) ? String(err.details) : (err as Error).message);
    }
  },
  describe({ params }) {
    const p = params as MandelbrotParams;
    return `Mandelbrot ${p.width}×${p.height}, ${p.maxIter} iterations, centre (${p.cx}, ${p.cy}), scale ${p.scale}`;
  },
  rate: { unit: 'MP/s', perCost: (params) => 1e6 * (params as MandelbrotParams).maxIter },
  async write(dir, { params }, output) {
    const { width, height, counts } = output as MandelbrotOutput;
    const png = new PNG({ width, height });
    png.data = Buffer.from(countsToRgba(counts, (params as MandelbrotParams).maxIter).buffer);
    await writeFile(join(dir, 'mandelbrot.png'), PNG.sync.write(png));
    await writeFile(join(dir, 'mandelbrot.u32'), encodeU32LE(counts));
    return ['mandelbrot.png', 'mandelbrot.u32'];
  },
};
