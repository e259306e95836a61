/**
 * The one IndexedDB database of a peer, typed through idb's `DBSchema`: content-addressed
 * kernels, the jobs this peer controls, their accepted chunk results and input data, and
 * settings. Every helper takes the database first, so tests and callers choose which one
 * (and its name).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { JobData } from './job-data.ts';

export type { JobData } from './job-data.ts';

/** A kernel's WebAssembly bytes, stored under their SHA-256. */
export interface KernelRecord {
  /** Lower-case hex SHA-256 of `bytes`; callers check it before storing and after reading. */
  sha256: string;
  name: string;
  bytes: ArrayBuffer;
  /** Epoch milliseconds. */
  storedAt: number;
}

/** Where a job stands; only 'running' and 'paused' jobs are resumed after a reload. */
export type JobState = 'running' | 'paused' | 'done' | 'cancelled';

/** A job this peer controls, enough to restore it after a reload. */
export interface JobRecord {
  jobId: string;
  /** The kernel name, e.g. 'mandelbrot'. */
  kind: string;
  /** The job's parameters; validated by the kernel's meta before use, not here. */
  spec: unknown;
  state: JobState;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
  totalChunks: number;
  doneChunks: number;
}

/** One accepted chunk result: the first valid result for the chunk, and only that one. */
export interface ResultRecord {
  jobId: string;
  chunkId: number;
  /** The peer whose result was accepted. */
  peerId: string;
  bytes: ArrayBuffer;
  /** Epoch milliseconds. */
  acceptedAt: number;
}

/** The input data of the job `jobId`. */
export interface JobDataRecord {
  jobId: string;
  data: JobData;
}

/** The schema: every store's key and value types, checked by idb at each call. */
export interface ProcessDistroSchema extends DBSchema {
  kernels: { key: string; value: KernelRecord };
  jobs: { key: string; value: JobRecord };
  results: {
    key: [string, number];
    value: ResultRecord;
    indexes: { 'by-job': string };
  };
  'job-data': { key: string; value: JobDataRecord };
  settings: { key: string; value: unknown };
}

/** An open ProcessDistro database. */
export type ProcessDistroDB = IDBPDatabase<ProcessDistroSchema>;

/** The database name used unless a caller (a test) picks another. */
export const DEFAULT_DB_NAME = 'processdistro';
const VERSION = 2;

const opened = new Map<string, Promise<ProcessDistroDB>>();

/**
 * Opens (creating or upgrading) the database `name`. Memoised per name, so every part of the
 * app shares one connection; a failed or lost connection is forgotten, so the next call
 * opens a fresh one.
 */
export function openProcessDistroDB(name: string = DEFAULT_DB_NAME): Promise<ProcessDistroDB> {
  let db = opened.get(name);
  if (db) return db;
  db = openDB<ProcessDistroSchema>(name, VERSION, {
    upgrade(database, oldVersion) {
      // Each step upgrades from the version before it, so any older database catches up.
      if (oldVersion < 1) {
        database.createObjectStore('kernels', { keyPath: 'sha256' });
        database.createObjectStore('jobs', { keyPath: 'jobId' });
        const results = database.createObjectStore('results', { keyPath: ['jobId', 'chunkId'] });
        results.createIndex('by-job', 'jobId');
        database.createObjectStore('settings');
      }
      if (oldVersion < 2) database.createObjectStore('job-data', { keyPath: 'jobId' });
    },
    blocking() {
      // Another tab wants a newer version: let it have the database rather than stall it.
      void closeProcessDistroDB(name);
    },
    terminated() {
      opened.delete(name);
    },
  });
  opened.set(name, db);
  db.catch(() => opened.delete(name));
  return db;
}

/** Closes the connection `openProcessDistroDB(name)` returned, if any; the next call reopens. */
export async function closeProcessDistroDB(name: string = DEFAULT_DB_NAME): Promise<void> {
  const db = opened.get(name);
  opened.delete(name);
  (await db?.catch(() => undefined))?.close();
}

/** The setting `key`, or undefined. Its shape is the caller's to validate. */
export function getSetting(db: ProcessDistroDB, key: string): Promise<unknown> {
  return db.get('settings', key);
}

/** Stores `value` (anything structured-clonable) as setting `key`. */
export async function putSetting(db: ProcessDistroDB, key: string, value: unknown): Promise<void> {
  await db.put('settings', value, key);
}

/** Stores a kernel. The caller has checked that `kernel.sha256` is the hash of its bytes. */
export async function putKernel(db: ProcessDistroDB, kernel: KernelRecord): Promise<void> {
  await db.put('kernels', kernel);
}

/** The kernel stored under `sha256`, or undefined. Callers re-check the hash before use. */
export function getKernel(db: ProcessDistroDB, sha256: string): Promise<KernelRecord | undefined> {
  return db.get('kernels', sha256);
}

/** Drops a kernel, e.g. one whose bytes no longer match their hash. */
export function deleteKernel(db: ProcessDistroDB, sha256: string): Promise<void> {
  return db.delete('kernels', sha256);
}

/** Creates or replaces a job. */
export async function putJob(db: ProcessDistroDB, job: JobRecord): Promise<void> {
  await db.put('jobs', job);
}

/** The job `jobId`, or undefined. */
export function getJob(db: ProcessDistroDB, jobId: string): Promise<JobRecord | undefined> {
  return db.get('jobs', jobId);
}

/** Every stored job, in `jobId` order (to find jobs to resume after a reload). */
export function getJobs(db: ProcessDistroDB): Promise<JobRecord[]> {
  return db.getAll('jobs');
}

/**
 * Stores a batch of results in one transaction: after a crash either all of the batch is
 * there or none of it, so a checkpoint never half-happens. A result already stored for the
 * same chunk is replaced (the controller accepts only one per chunk before calling this).
 */
export async function putResults(
  db: ProcessDistroDB,
  batch: readonly ResultRecord[],
): Promise<void> {
  const tx = db.transaction('results', 'readwrite');
  const requests: Promise<unknown>[] = [];
  try {
    for (const result of batch) requests.push(tx.store.put(result));
  } catch (err) {
    // A record without a valid key throws synchronously, which does not abort the transaction
    // by itself: abort it, or the puts before it would commit and the batch would half-happen.
    tx.abort();
    await Promise.allSettled([...requests, tx.done]);
    throw err;
  }
  // Awaiting tx.done as well: the call must settle only once the batch is durable.
  await Promise.all([...requests, tx.done]);
}

/** The results of `jobId`, in `chunkId` order. */
export function getResults(db: ProcessDistroDB, jobId: string): Promise<ResultRecord[]> {
  // An index orders records with equal index keys by primary key, [jobId, chunkId].
  return db.getAllFromIndex('results', 'by-job', jobId);
}

/**
 * Stores a job's input data. Written before the job's record, so that a job offered for
 * resumption always has its data.
 */
export async function putJobData(db: ProcessDistroDB, record: JobDataRecord): Promise<void> {
  await db.put('job-data', record);
}

/** The input data of `jobId`, or undefined (a job without data, or one deleted). */
export async function getJobData(db: ProcessDistroDB, jobId: string): Promise<JobData | undefined> {
  return (await db.get('job-data', jobId))?.data;
}

/** Deletes the job `jobId`, all its results and its input data, together or not at all. */
export async function deleteJob(db: ProcessDistroDB, jobId: string): Promise<void> {
  // Arrays compare element by element and a shorter prefix sorts first, so this range holds
  // exactly the keys [jobId, any chunkId]: an array sorts after every number.
  const ofJob = IDBKeyRange.bound([jobId], [jobId, []]);
  const tx = db.transaction(['jobs', 'results', 'job-data'], 'readwrite');
  await Promise.all([
    tx.objectStore('jobs').delete(jobId),
    tx.objectStore('results').delete(ofJob),
    tx.objectStore('job-data').delete(jobId),
    tx.done,
  ]);
}
