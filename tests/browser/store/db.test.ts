/// <reference types="mocha" />
// The db module against Chromium's real IndexedDB. Each run uses its own database name and
// deletes it afterwards, so runs never see each other's data.
import { expect } from '@esm-bundle/chai';
import { deleteDB, openDB } from 'idb';
import {
  closeProcessDistroDB,
  deleteJob,
  deleteKernel,
  getJob,
  getJobData,
  getJobs,
  getKernel,
  getResults,
  getSetting,
  openProcessDistroDB,
  putJob,
  putJobData,
  putKernel,
  putResults,
  putSetting,
  type JobRecord,
  type ResultRecord,
} from '../../../client/store/db.ts';

const name = `processdistro-test-${crypto.randomUUID()}`;

function job(jobId: string, totalChunks = 4): JobRecord {
  const now = Date.now();
  return {
    jobId,
    kind: 'mandelbrot',
    spec: { width: 64, height: 64, maxIter: 100 },
    state: 'running',
    createdAt: now,
    updatedAt: now,
    totalChunks,
    doneChunks: 0,
  };
}

function result(jobId: string, chunkId: number): ResultRecord {
  return {
    jobId,
    chunkId,
    peerId: `peer-${chunkId % 2}`,
    bytes: Uint8Array.from([chunkId, chunkId + 1, chunkId + 2]).buffer,
    acceptedAt: Date.now(),
  };
}

describe('store/db', () => {
  after(async () => {
    await closeProcessDistroDB(name);
    await deleteDB(name);
  });

  it('opens one memoised connection per name, with the five stores', async () => {
    const db = await openProcessDistroDB(name);
    expect(await openProcessDistroDB(name)).to.equal(db);
    expect([...db.objectStoreNames].sort()).to.deep.equal([
      'job-data',
      'jobs',
      'kernels',
      'results',
      'settings',
    ]);
    expect(db.version).to.equal(2);
  });

  it('stores, reads and deletes kernels by hash', async () => {
    const db = await openProcessDistroDB(name);
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]).buffer;
    const sha256 = 'ab'.repeat(32);
    await putKernel(db, { sha256, name: 'mandelbrot', bytes, storedAt: 1 });
    const stored = await getKernel(db, sha256);
    expect(stored?.name).to.equal('mandelbrot');
    expect([...new Uint8Array(stored!.bytes)]).to.deep.equal([...new Uint8Array(bytes)]);
    await deleteKernel(db, sha256);
    expect(await getKernel(db, sha256)).to.equal(undefined);
  });

  it('stores and updates jobs', async () => {
    const db = await openProcessDistroDB(name);
    await putJob(db, job('job-a'));
    await putJob(db, { ...job('job-a'), state: 'paused', doneChunks: 2 });
    const stored = await getJob(db, 'job-a');
    expect(stored?.state).to.equal('paused');
    expect(stored?.doneChunks).to.equal(2);
    expect(stored?.spec).to.deep.equal({ width: 64, height: 64, maxIter: 100 });
    expect(await getJob(db, 'missing')).to.equal(undefined);
  });

  it('stores a batch of results and lists them per job in chunk order', async () => {
    const db = await openProcessDistroDB(name);
    await putJob(db, job('job-b', 12));
    await putResults(
      db,
      [10, 2, 7, 0].map((chunk) => result('job-a', chunk)),
    );
    await putResults(
      db,
      [11, 1, 3].map((chunk) => result('job-b', chunk)),
    );
    const ofA = await getResults(db, 'job-a');
    expect(ofA.map((r) => r.chunkId)).to.deep.equal([0, 2, 7, 10]);
    expect([...new Uint8Array(ofA[1]!.bytes)]).to.deep.equal([2, 3, 4]);
    expect((await getResults(db, 'job-b')).map((r) => r.chunkId)).to.deep.equal([1, 3, 11]);
    expect(await getResults(db, 'job-none')).to.deep.equal([]);
  });

  it('rejects a batch with an invalid record and stores none of it', async () => {
    const db = await openProcessDistroDB(name);
    const broken = { ...result('job-c', 1), chunkId: undefined } as unknown as ResultRecord;
    let failed = false;
    await putResults(db, [result('job-c', 0), broken]).catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect(await getResults(db, 'job-c')).to.deep.equal([]);
  });

  it('stores each kind of job input data, uploaded files as Blobs', async () => {
    const db = await openProcessDistroDB(name);
    const shape = { n: 3, k: 5, m: 2 };
    await putJobData(db, { jobId: 'job-a', data: { kind: 'random-matrices', seed: 7, shape } });
    const a = new Blob([new Float64Array([1, 2, 3])]);
    const b = new Blob([new Float64Array([4, 5])]);
    await putJobData(db, { jobId: 'job-b', data: { kind: 'matrices', a, b } });
    const text = 'password,salt\r\n"a,b",ü\r\n';
    await putJobData(db, { jobId: 'job-p', data: { kind: 'pairs', format: 'csv', text } });
    expect(await getJobData(db, 'job-a')).to.deep.equal({
      kind: 'random-matrices',
      seed: 7,
      shape,
    });
    const matrices = await getJobData(db, 'job-b');
    if (matrices?.kind !== 'matrices') throw new Error(`stored ${JSON.stringify(matrices)}`);
    expect([...new Float64Array(await matrices.a.arrayBuffer())]).to.deep.equal([1, 2, 3]);
    expect([...new Float64Array(await matrices.b.arrayBuffer())]).to.deep.equal([4, 5]);
    expect(await getJobData(db, 'job-p')).to.deep.equal({ kind: 'pairs', format: 'csv', text });
    expect(await getJobData(db, 'missing')).to.equal(undefined);
  });

  it('deletes a job together with its results and input data only', async () => {
    const db = await openProcessDistroDB(name);
    await deleteJob(db, 'job-b');
    expect(await getJob(db, 'job-b')).to.equal(undefined);
    expect(await getResults(db, 'job-b')).to.deep.equal([]);
    expect(await getJobData(db, 'job-b')).to.equal(undefined);
    expect(await getResults(db, 'job-a')).to.have.length(4);
    expect((await getJobData(db, 'job-a'))?.kind).to.equal('random-matrices');
    expect((await getJobData(db, 'job-p'))?.kind).to.equal('pairs');
  });

  it('stores settings of any structured-clonable shape', async () => {
    const db = await openProcessDistroDB(name);
    await putSetting(db, 'cores', 3);
    await putSetting(db, 'consent', { room: 'r1', at: new Date(0) });
    expect(await getSetting(db, 'cores')).to.equal(3);
    expect(await getSetting(db, 'consent')).to.deep.equal({ room: 'r1', at: new Date(0) });
    expect(await getSetting(db, 'missing')).to.equal(undefined);
  });

  it('keeps everything after closing and opening again', async () => {
    const before = await openProcessDistroDB(name);
    await closeProcessDistroDB(name);
    const db = await openProcessDistroDB(name);
    expect(db).to.not.equal(before);
    expect((await getJob(db, 'job-a'))?.state).to.equal('paused');
    expect((await getJobs(db)).map((j) => j.jobId)).to.deep.equal(['job-a']);
    expect((await getResults(db, 'job-a')).map((r) => r.chunkId)).to.deep.equal([0, 2, 7, 10]);
    expect(await getSetting(db, 'cores')).to.equal(3);
    expect((await getJobData(db, 'job-a'))?.kind).to.equal('random-matrices');
  });
});

describe('store/db upgrade from version 1', () => {
  const old = `processdistro-v1-${crypto.randomUUID()}`;

  after(async () => {
    await closeProcessDistroDB(old);
    await deleteDB(old);
  });

  it('adds the job-data store and keeps every record of a version-1 database', async () => {
    // Version 1 exactly as it shipped: four stores, created by the upgrade step of that release.
    const v1 = await openDB(old, 1, {
      upgrade(database) {
        database.createObjectStore('kernels', { keyPath: 'sha256' });
        database.createObjectStore('jobs', { keyPath: 'jobId' });
        const results = database.createObjectStore('results', { keyPath: ['jobId', 'chunkId'] });
        results.createIndex('by-job', 'jobId');
        database.createObjectStore('settings');
      },
    });
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d]).buffer;
    await v1.put('kernels', { sha256: 'cd'.repeat(32), name: 'mandelbrot', bytes, storedAt: 1 });
    await v1.put('jobs', job('job-old', 3));
    for (const chunk of [2, 0]) await v1.put('results', result('job-old', chunk));
    await v1.put('settings', 4, 'cores');
    v1.close();

    const db = await openProcessDistroDB(old);
    expect(db.version).to.equal(2);
    expect([...db.objectStoreNames].sort()).to.deep.equal([
      'job-data',
      'jobs',
      'kernels',
      'results',
      'settings',
    ]);
    expect((await getKernel(db, 'cd'.repeat(32)))?.name).to.equal('mandelbrot');
    expect((await getJob(db, 'job-old'))?.totalChunks).to.equal(3);
    expect((await getResults(db, 'job-old')).map((r) => r.chunkId)).to.deep.equal([0, 2]);
    expect(await getSetting(db, 'cores')).to.equal(4);
    expect(await getJobData(db, 'job-old')).to.equal(undefined);
    // The new store works, and deleting an old job (which has no data) still works.
    await putJobData(db, {
      jobId: 'job-new',
      data: { kind: 'random-matrices', seed: 1, shape: { n: 1, k: 1, m: 1 } },
    });
    expect((await getJobData(db, 'job-new'))?.kind).to.equal('random-matrices');
    await deleteJob(db, 'job-old');
    expect(await getJob(db, 'job-old')).to.equal(undefined);
    expect(await getResults(db, 'job-old')).to.deep.equal([]);
  });
});
