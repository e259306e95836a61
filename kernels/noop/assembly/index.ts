// asc-flags: --initialMemory 1 --maximumMemory 1
// (read by scripts/build-kernels.js; the maximum must equal `maxMemoryPages` in ../meta.ts)

/**
 * The no-op kernel: a chunk that costs nothing to compute, so that a job of them measures
 * what the mesh itself costs per chunk (scheduling, messages, the worker round trip).
 * `echo` returns its argument, which the meta sends back as the chunk's 4-byte result.
 */
export function echo(chunk: u32): u32 {
  return chunk;
}
