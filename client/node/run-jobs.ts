/**
 * The jobs `processdistro run` knows, by name; each job's flags, input, throughput and output
 * files live in its own file under run-jobs/ (see run-jobs/run-job-spec.ts).
 */
import { mandelbrotJob } from './run-jobs/mandelbrot.ts';
import { matmulJob } from './run-jobs/matmul.ts';
import { pbkdf2Job } from './run-jobs/pbkdf2.ts';
import type { RunJobSpec } from './run-jobs/run-job-spec.ts';

export type { JobInput, RunJobSpec } from './run-jobs/run-job-spec.ts';

/** Every job `run` knows, by name. */
export const RUN_JOBS: Record<string, RunJobSpec> = {
  mandelbrot: mandelbrotJob,
  matmul: matmulJob,
  pbkdf2: pbkdf2Job,
};
