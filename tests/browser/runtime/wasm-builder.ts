/**
 * Builds small WebAssembly modules from hand-written instruction bytes, so the runtime tests
 * need no compiler: enough of the binary format (types, imports, functions, memory, exports,
 * code) to write test kernels and modules that break the kernel ABI on purpose.
 */

/** A value type: 0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64. */
export type ValueType = number;

export interface FuncType {
  params: ValueType[];
  results: ValueType[];
}

export type Import =
  | { module: string; name: string; kind: 'function'; type: number }
  | { module: string; name: string; kind: 'memory'; min: number; max?: number };

export interface Func {
  type: number;
  /** Extra locals, each of one type. */
  locals?: ValueType[];
  /** The body's instructions, without the final `end`. */
  body: number[];
  /** Exported under this name when given. */
  export?: string;
}

export interface ModuleSpec {
  types: FuncType[];
  imports?: Import[];
  funcs?: Func[];
  /** A memory defined by the module itself (min pages), which the kernel ABI forbids. */
  ownMemory?: number;
}

export const i32 = 0x7f;

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, items: number[][]): number[] {
  const body = vec(items);
  return [id, ...uleb(body.length), ...body];
}

function limits(min: number, max?: number): number[] {
  return max === undefined ? [0, ...uleb(min)] : [1, ...uleb(min), ...uleb(max)];
}

/** The module's binary. */
export function wasmModule(spec: ModuleSpec): Uint8Array<ArrayBuffer> {
  const imports = spec.imports ?? [];
  const funcs = spec.funcs ?? [];
  const importedFuncs = imports.filter((entry) => entry.kind === 'function').length;
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  bytes.push(
    ...section(
      1,
      spec.types.map((t) => [
        0x60,
        ...vec(t.params.map((p) => [p])),
        ...vec(t.results.map((r) => [r])),
      ]),
    ),
  );
  if (imports.length > 0) {
    bytes.push(
      ...section(
        2,
        imports.map((entry) => [
          ...name(entry.module),
          ...name(entry.name),
          ...(entry.kind === 'function'
            ? [0x00, ...uleb(entry.type)]
            : [0x02, ...limits(entry.min, entry.max)]),
        ]),
      ),
    );
  }
  if (funcs.length > 0)
    bytes.push(
      ...section(
        3,
        funcs.map((f) => uleb(f.type)),
      ),
    );
  if (spec.ownMemory !== undefined) bytes.push(...section(5, [limits(spec.ownMemory)]));
  const exports = funcs.flatMap((f, index) =>
    f.export === undefined ? [] : [[...name(f.export), 0x00, ...uleb(importedFuncs + index)]],
  );
  if (exports.length > 0) bytes.push(...section(7, exports));
  if (funcs.length > 0) {
    const bodies = funcs.map((f) => {
      const body = [...vec((f.locals ?? []).map((type) => [1, type])), ...f.body, 0x0b];
      return [...uleb(body.length), ...body];
    });
    bytes.push(...section(10, bodies));
  }
  return new Uint8Array(bytes);
}
