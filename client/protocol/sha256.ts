/**
 * SHA-256 as lowercase hex. Uses WebCrypto where the context offers it (secure contexts and
 * Node), and @noble/hashes elsewhere: a phone that joins over plain HTTP on the LAN has no
 * `crypto.subtle` (https://w3c.github.io/webcrypto/#crypto-interface, [SecureContext]).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** Hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
    return bytesToHex(new Uint8Array(digest));
  }
  return bytesToHex(sha256(bytes));
}
