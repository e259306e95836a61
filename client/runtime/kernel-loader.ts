/**
 * Turns kernel bytes into a running, sandboxed instance: checks the bytes against their
 * SHA-256, checks the imports against the kernel ABI's allow-list (`kernels/kernel-meta.ts`),
 * gives the kernel a memory capped at `meta.maxMemoryPages`, and memoises compilation per hash
 * (as squoosh memoises its WASM instantiation in a module-level promise). Runs in workers.
 */
import type { KernelInstance, KernelMeta } from '../../kernels/kernel-meta.ts';
import { PdError } from '../protocol/errors.ts';
import { sha256Hex } from '../protocol/sha256.ts';

/** The only imports a kernel may ask for: module → field → kind. */
const allowedImports: Record<string, Record<string, WebAssembly.ImportExportKind>> = {
  env: { memory: 'memory', abort: 'function' },
};

/** The limits a module declares for its `env.memory` import, in 64 KiB pages. */
interface MemoryLimits {
  min: number;
  max: number | undefined;
}

/** What a module's binary says about its memory: the import's limits, or none imported. */
const memoryOf = new WeakMap<WebAssembly.Module, MemoryLimits | undefined>();

/** Compiled modules by SHA-256; a failed compilation is forgotten so it can be retried. */
const compiled = new Map<string, Promise<WebAssembly.Module>>();

/**
 * Throws PdError 'kernel-bad-imports' unless every import of `module` is on the allow-list
 * (`env.memory` as a memory, `env.abort` as a function). A kernel needs no other way out of
 * its sandbox, and an import the runtime does not know cannot be satisfied safely.
 */
export function checkKernelModule(module: WebAssembly.Module): void {
  const refused = WebAssembly.Module.imports(module).filter(
    ({ module: from, name, kind }) => allowedImports[from]?.[name] !== kind,
  );
  if (refused.length > 0) {
    throw new PdError('kernel-bad-imports', {
      imports: refused.map(({ module: from, name, kind }) => `${from}.${name} (${kind})`),
    });
  }
}

/**
 * Compiles `bytes` once per SHA-256 and checks the result: the bytes must hash to
 * `expectedSha256` when given ('kernel-hash-mismatch'), import only allowed names
 * ('kernel-bad-imports') and not define a memory of their own ('kernel-bad-memory').
 */
export async function compileKernel(
  bytes: Uint8Array,
  expectedSha256?: string,
): Promise<WebAssembly.Module> {
  const sha256 = await sha256Hex(bytes);
  if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
    throw new PdError('kernel-hash-mismatch', { expected: expectedSha256, actual: sha256 });
  }
  let module = compiled.get(sha256);
  if (!module) {
    module = compileChecked(bytes);
    compiled.set(sha256, module);
    module.catch(() => compiled.delete(sha256));
  }
  return module;
}

async function compileChecked(bytes: Uint8Array): Promise<WebAssembly.Module> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw new PdError('kernel-failed', { stage: 'compile', message: String(err) });
  }
  checkKernelModule(module);
  memoryOf.set(module, readMemoryLimits(bytes));
  return module;
}

/**
 * Instantiates a kernel with a fresh memory capped at `meta.maxMemoryPages` and an `env.abort`
 * that throws PdError 'kernel-failed'. Bytes are compiled (memoised) and checked first; a
 * module compiled elsewhere is checked here, and starts with the smallest memory.
 */
export async function instantiateKernel(
  source: Uint8Array | WebAssembly.Module,
  meta: Pick<KernelMeta<unknown, unknown, unknown>, 'name' | 'maxMemoryPages'>,
): Promise<KernelInstance> {
  const module = source instanceof WebAssembly.Module ? source : await compileKernel(source);
  if (!memoryOf.has(module)) checkKernelModule(module);
  const limits = memoryOf.get(module) ?? { min: 1, max: undefined };
  if (limits.min > meta.maxMemoryPages) {
    throw new PdError('kernel-bad-memory', { needs: limits.min, cap: meta.maxMemoryPages });
  }
  // The import's maximum must not exceed the one the module declares, or linking fails.
  const maximum = Math.min(meta.maxMemoryPages, limits.max ?? Infinity);
  const memory = new WebAssembly.Memory({ initial: limits.min, maximum });
  const abort = (msg: number, file: number, line: number, column: number): never => {
    throw new PdError('kernel-failed', {
      kernel: meta.name,
      abort: readAbortString(memory, msg),
      file: readAbortString(memory, file),
      line,
      column,
    });
  };
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory, abort } });
  } catch (err) {
    if (err instanceof PdError) throw err;
    // A LinkError here means the memory limits did not fit; anything else is a start trap.
    const code = err instanceof WebAssembly.LinkError ? 'kernel-bad-memory' : 'kernel-failed';
    throw new PdError(code, { kernel: meta.name, stage: 'instantiate', message: String(err) });
  }
  return { exports: instance.exports as Record<string, unknown>, memory };
}

/**
 * An AssemblyScript string passed to `abort`: UTF-16LE, its byte length in the u32 before it.
 * Out-of-range pointers (a hostile or broken kernel) read as undefined rather than throwing.
 */
function readAbortString(memory: WebAssembly.Memory, ptr: number): string | undefined {
  const buffer = memory.buffer;
  if (ptr < 4 || ptr > buffer.byteLength) return undefined;
  const length = new DataView(buffer).getUint32(ptr - 4, true);
  const end = Math.min(ptr + Math.min(length, 2048), buffer.byteLength);
  return new TextDecoder('utf-16le').decode(new Uint8Array(buffer, ptr, (end - ptr) & ~1));
}

/**
 * Reads the limits of the `env.memory` import from the binary (the JS API does not expose
 * them), and refuses a module that defines a memory of its own, which no cap would bind.
 * Called after checkKernelModule, so every import is a function or a memory.
 */
function readMemoryLimits(bytes: Uint8Array): MemoryLimits | undefined {
  let at = 8; // magic and version, already checked by WebAssembly.compile
  const byte = (): number => bytes[at++] ?? 0;
  const leb = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = byte();
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
  };
  const skipName = (): void => {
    const length = leb(); // before `at +=`, which would read `at` before leb() moves it
    at += length;
  };
  let limits: MemoryLimits | undefined;
  while (at < bytes.length) {
    const id = byte();
    const size = leb();
    const next = at + size;
    if (id === 5 && leb() > 0) throw new PdError('kernel-bad-memory', 'it defines its own memory');
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        skipName();
        skipName();
        const kind = byte();
        if (kind === 0) leb();
        else if (kind === 2) {
          const flags = byte();
          // Bit 1 is a shared memory, bit 2 a 64-bit one: neither fits a plain capped Memory.
          if (flags & 0b110) throw new PdError('kernel-bad-memory', 'shared or 64-bit memory');
          const min = leb();
          limits = { min, max: flags & 1 ? leb() : undefined };
        } else throw new PdError('kernel-bad-imports', `import kind ${kind}`);
      }
    }
    at = next;
  }
  return limits;
}
