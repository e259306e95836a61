/**
 * Every kernel by its wire name, so the runtime and the scheduler look kernels up by name.
 * Realm-neutral. A new kernel adds its meta here and a `kernels/<name>/` folder.
 */
import { PdError } from '../client/protocol/errors.ts';
import type { KernelMeta } from './kernel-meta.ts';
import { mandelbrot } from './mandelbrot/meta.ts';
import { matmul } from './matmul/meta.ts';
import { noop } from './noop/meta.ts';
import { pbkdf2 } from './pbkdf2/meta.ts';

/** The kernels this build knows, keyed by name (each meta's `name`). */
export const kernels = { mandelbrot, matmul, noop, pbkdf2 } as const;

/** A kernel's wire name. */
export type KernelName = keyof typeof kernels;

/** Any kernel's meta, with its parameter, chunk and output types erased. */
export type AnyKernelMeta = KernelMeta<unknown, unknown, unknown>;

/** True when `name` names a known kernel. */
export function isKernelName(name: string): name is KernelName {
  return Object.hasOwn(kernels, name);
}

/** The kernel called `name`; throws PdError `kernel-unknown` for an unknown name. */
export function kernelByName<N extends KernelName>(name: N): (typeof kernels)[N];
export function kernelByName(name: string): AnyKernelMeta;
export function kernelByName(name: string): AnyKernelMeta {
  if (!isKernelName(name)) throw new PdError('kernel-unknown', name);
  return kernels[name] as AnyKernelMeta;
}
