/**
 * What every kernel's unit test checks of its built module, and a seeded PRNG for inputs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { compileBuiltKernel } from '../../../../client/node/main-thread-kernel.ts';

/** Deterministic PRNG (mulberry32) in [0, 1), so a failure reproduces. */
export { seededRandom as random } from '../../../../client/scheduler/seeded-random.ts';

/**
 * The module imports exactly env.memory and env.abort, and declares the memory maximum its
 * meta caps it at, as the `// asc-flags:` line of its source says.
 */
export function itChecksTheKernelModule(meta: { name: string; maxMemoryPages: number }): void {
  it('imports exactly env.memory and env.abort', async () => {
    const imports = WebAssembly.Module.imports(await compileBuiltKernel(meta.name))
      .map(({ module, name, kind }) => `${module}.${name}:${kind}`)
      .sort();
    assert.deepEqual(imports, ['env.abort:function', 'env.memory:memory']);
  });

  it('declares the memory maximum that meta.ts caps it at (asc-flags agree)', async () => {
    const source = readFileSync(
      new URL(`../../../../kernels/${meta.name}/assembly/index.ts`, import.meta.url),
      'utf8',
    );
    const flags = source.split('\n').find((line) => line.startsWith('// asc-flags:'));
    assert.equal(Number(/--maximumMemory (\d+)/.exec(flags ?? '')?.[1]), meta.maxMemoryPages);
    // The loader lowers its cap to the declared maximum, so link by hand to see the declaration.
    const wasmModule = await compileBuiltKernel(meta.name);
    const abort = (): never => {
      throw new Error('kernel aborted');
    };
    const link = (maximum: number) =>
      WebAssembly.instantiate(wasmModule, {
        env: { memory: new WebAssembly.Memory({ initial: 1, maximum }), abort },
      });
    await link(meta.maxMemoryPages);
    await assert.rejects(link(meta.maxMemoryPages + 1), WebAssembly.LinkError);
  });
}
