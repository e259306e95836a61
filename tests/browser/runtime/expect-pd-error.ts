/** Shared assertion for the runtime tests: a promise (or call) fails with a given PdError code. */
import { expect } from '@esm-bundle/chai';
import { isPdError, type PdError, type PdErrorCode } from '../../../client/protocol/errors.ts';

/** Resolves to the PdError `work` rejects (or throws) with; fails the test otherwise. */
export async function expectPdError(
  work: Promise<unknown> | (() => unknown),
  code: PdErrorCode,
): Promise<PdError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    if (isPdError(err, code)) return err;
    expect.fail(`expected PdError '${code}', got ${String(err)}`);
  }
  return expect.fail(`expected PdError '${code}', but it succeeded`);
}
