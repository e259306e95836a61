/**
 * One error class for ProcessDistro, with every code in one table so that messages stay
 * consistent and tests can assert on codes rather than wording (as workbox's WorkboxError).
 * Realm-neutral: used in the browser, in workers and in Node.
 */

const messages = {
  'frame-too-short': 'fragment is shorter than its header',
  'frame-bad-version': 'fragment has an unknown frame version',
  'frame-bad-fragment': 'fragment index or count is out of range or inconsistent',
  'frame-too-large': 'message is larger than the receiver accepts',
  'frame-too-many-pending': 'too many partially received messages',
  'frame-bad-header': 'frame header is not valid JSON with a string "type"',
  'message-invalid': 'message does not match the schema of its type',
  'message-unknown-type': 'message has an unknown type',
  'channel-closed': 'the channel closed before the message could be sent',
  'send-aborted': 'sending was aborted',
  'peer-unknown': 'no open channel to that peer',
  'signaling-refused': 'the signaling server refused the request',
  'signaling-unreachable': 'the signaling server cannot be reached',
  'room-link-invalid': 'the room link has no room id or token',
  'kernel-hash-invalid': 'a kernel hash must be 64 lower-case hex digits',
  'kernel-hash-mismatch': 'kernel bytes do not match their SHA-256',
  'kernel-bad-imports': 'kernel imports something outside the allowed list',
  'kernel-bad-memory': 'kernel memory cannot be capped: it must import env.memory within the limit',
  'kernel-unknown': 'no kernel of that name is registered',
  'kernel-timeout': 'kernel chunk ran past its time limit',
  'kernel-failed': 'kernel trapped or threw while computing',
  'kernel-aborted': 'kernel run was aborted',
  'kernel-unavailable': 'kernel worker could not start or crashed',
  'pool-closed': 'the worker pool is closed',
  'blob-unavailable':
    'no peer could supply a blob of job data (or its bytes did not match their SHA-256)',
} as const;

/** Every error code ProcessDistro raises. */
export type PdErrorCode = keyof typeof messages;

/** An error with a stable `code` from the table above and optional details. */
export class PdError extends Error {
  override readonly name = 'PdError';

  constructor(
    readonly code: PdErrorCode,
    readonly details?: Record<string, unknown> | string,
  ) {
    super(
      `${messages[code]}${details === undefined ? '' : `: ${typeof details === 'string' ? details : JSON.stringify(details)}`}`,
    );
  }
}

/** True when `err` is a PdError, optionally with the given code. */
export function isPdError(err: unknown, code?: PdErrorCode): err is PdError {
  return err instanceof PdError && (code === undefined || err.code === code);
}
