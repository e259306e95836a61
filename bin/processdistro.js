#!/usr/bin/env -S node --no-liftoff
// Entry point of the `processdistro` command. The sources are TypeScript, run through tsx
// so that there is no separate compile step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../signaling/cli.ts');
const code = await runCli(process.argv.slice(2));
// Every command has closed what it opened by now; exit explicitly anyway so that a stray
// handle in a dependency cannot keep the process (and the terminal) waiting.
process.exit(code);
