#!/usr/bin/env node
// Builds every kernels/<name>/assembly/index.ts into kernels/<name>/build/<name>.wasm with the
// AssemblyScript compiler, skipping a kernel whose .wasm is newer than all of its sources (and
// than this script and the installed compiler). Per-kernel flags (the memory limits, which must
// match the kernel's `maxMemoryPages`) come from an `// asc-flags: ...` line in index.ts.
// Usage: node scripts/build-kernels.js [--force]
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const kernelsDir = join(root, 'kernels');
const force = process.argv.includes('--force');

/** Flags every kernel gets: imported (capped) memory, no GC, SIMD, no other imports. */
const commonFlags = [
  '-O3',
  '--runtime',
  'stub',
  '--enable',
  'simd',
  '--noAssert',
  '--importMemory',
];

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

function kernelFlags(source) {
  const line = readFileSync(source, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('// asc-flags:'));
  return line ? line.slice('// asc-flags:'.length).trim().split(/\s+/) : [];
}

function isFresh(output, sources) {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return sources.every((file) => statSync(file).mtimeMs < built);
}

async function build(name) {
  const assemblyDir = join(kernelsDir, name, 'assembly');
  const entry = join(assemblyDir, 'index.ts');
  const output = join(kernelsDir, name, 'build', `${name}.wasm`);
  const sources = [
    ...filesUnder(assemblyDir),
    fileURLToPath(import.meta.url),
    join(root, 'node_modules', 'assemblyscript', 'package.json'),
  ];
  if (!force && isFresh(output, sources)) {
    console.log(`kernels: ${name} is up to date`);
    return true;
  }
  mkdirSync(dirname(output), { recursive: true });
  const args = [entry, '--outFile', output, ...commonFlags, ...kernelFlags(entry)];
  const { error, stderr } = await asc.main(args, {
    // Write to a temporary file and rename, so a concurrent reader never sees half a module.
    async writeFile(filename, contents, baseDir) {
      const path = resolve(baseDir, filename);
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, contents);
      renameSync(temporary, path);
    },
  });
  if (error) {
    console.error(`kernels: ${name} failed: ${error.message}\n${stderr.toString()}`);
    return false;
  }
  console.log(`kernels: built ${output.slice(root.length + 1)}`);
  return true;
}

const names = readdirSync(kernelsDir)
  .filter((name) => existsSync(join(kernelsDir, name, 'assembly', 'index.ts')))
  .sort();
let ok = true;
for (const name of names) ok = (await build(name)) && ok;
process.exit(ok ? 0 : 1);
