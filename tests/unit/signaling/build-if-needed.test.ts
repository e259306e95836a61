import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { staleBuildReason } from '../../../signaling/build-if-needed.ts';
import { tempDir } from './support/test-server.ts';

async function touch(path: string, secondsAgo: number): Promise<void> {
  await writeFile(path, 'x');
  const time = new Date(Date.now() - secondsAgo * 1000);
  await utimes(path, time, time);
}

describe('staleBuildReason', () => {
  it('asks for a build when dist is missing or older than any source', async (t) => {
    const root = await tempDir('pd-root-');
    t.after(() => rm(root, { recursive: true, force: true }));
    const dist = join(root, 'dist');
    await mkdir(join(root, 'client', 'ui'), { recursive: true });
    await mkdir(join(root, 'kernels', 'mandelbrot', 'node_modules'), { recursive: true });
    await touch(join(root, 'client', 'ui', 'app.ts'), 100);
    await touch(join(root, 'index.html'), 100);
    assert.match(staleBuildReason(root, dist) ?? '', /missing/);

    await mkdir(dist);
    await touch(join(dist, 'index.html'), 50);
    assert.equal(staleBuildReason(root, dist), undefined);

    await touch(join(root, 'kernels', 'mandelbrot', 'node_modules', 'dep.js'), 0);
    assert.equal(staleBuildReason(root, dist), undefined, 'node_modules is not a source');

    await touch(join(root, 'client', 'ui', 'app.ts'), 0);
    assert.match(staleBuildReason(root, dist) ?? '', /client/);
    await touch(join(root, 'client', 'ui', 'app.ts'), 100);
    await touch(join(root, 'vite.config.ts'), 0);
    assert.match(staleBuildReason(root, dist) ?? '', /vite\.config\.ts/);
  });
});
