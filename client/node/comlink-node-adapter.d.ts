/**
 * Types for comlink's Node adapter. comlink 4.4 ships them as `node-adapter.d.ts`, but the
 * module Node loads is `node-adapter.mjs` (the package has no `exports` map), and TypeScript
 * looks for a `.d.mts` beside an `.mjs`: this names the same declarations for that path.
 */
declare module 'comlink/dist/esm/node-adapter.mjs' {
  export { default } from 'comlink/dist/esm/node-adapter.js';
  export type { NodeEndpoint } from 'comlink/dist/esm/node-adapter.js';
}
