/**
 * The HMAC key behind room tokens, kept in the data directory so that tokens (and with
 * them rooms) outlive a restart.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** File name of the secret inside the data directory. */
export const SECRET_FILE = 'server-secret';

const SECRET_BYTES = 32;

/**
 * Reads the secret from `<dataDir>/server-secret`, creating the directory and a fresh
 * random secret (mode 0600, as it is a credential) on first start.
 */
export async function loadOrCreateSecret(dataDir: string): Promise<Buffer> {
  const path = join(dataDir, SECRET_FILE);
  try {
    const stored = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64url');
    if (stored.length >= SECRET_BYTES) return stored;
    throw new Error(`${path} holds fewer than ${SECRET_BYTES} bytes; delete it to make a new one`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(SECRET_BYTES);
  // 'wx' so that two servers starting at once do not overwrite each other's secret.
  try {
    await writeFile(path, `${secret.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSecret(dataDir);
    throw err;
  }
  // The mode given to writeFile is masked by the umask; make sure it is 0600.
  await chmod(path, 0o600);
  return secret;
}
