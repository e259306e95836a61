/**
 * The identity of a decoded chunk result, as verification compares it: SHA-256 in hex.
 * Synchronous (@noble/hashes), so a shell hashes a result in the turn it decodes it and
 * hands the hash to the controller core with the result. Realm-neutral.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export function resultHash(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}
