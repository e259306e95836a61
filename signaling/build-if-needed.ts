/**
 * `serve --build-if-needed`: builds the app with Vite when `dist/index.html` is missing or
 * older than any source it is built from, so `npm start` always serves current code.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** Folders and files under the package root that the build reads. */
export const BUILD_INPUTS = ['client', 'public', 'kernels', 'index.html', 'vite.config.ts'];

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Newest modification time (ms) of any file at or below `path`; 0 when there is none. */
export function newestMtime(path: string): number {
  const stats = statOrUndefined(path);
  if (!stats) return 0;
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Why a build is needed, or undefined when `distDir` is current. */
export function staleBuildReason(root: string, distDir: string): string | undefined {
  const built = statOrUndefined(join(distDir, 'index.html'));
  if (!built) return `${join(distDir, 'index.html')} is missing`;
  for (const input of BUILD_INPUTS) {
    if (newestMtime(join(root, input)) > built.mtimeMs) return `${input} changed since the build`;
  }
  return undefined;
}

/**
 * Runs the project's build (`npm run build`: kernels, then the app) in `root` with the terminal
 * attached; rejects if it fails.
 */
export function runBuild(root: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build'], {
      cwd: root,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`build failed (${signal ?? `exit code ${code}`})`));
    });
  });
}
