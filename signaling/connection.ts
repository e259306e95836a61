/**
 * The hub's view of one client socket. The server adapts a WebSocket to it; tests use a
 * plain object that records what was sent. Like comlink's `Endpoint`, it keeps the message
 * logic independent of the transport.
 */
import type { ServerMessage } from './protocol.ts';

/** One client connection as the message handlers see it. */
export interface Connection {
  /** Client address: the key of its rate limits. */
  readonly address: string;
  /** Hostname the client used to reach the server (its `Host` header), if it was valid. */
  readonly hostname: string | undefined;
  /** Room id → host token, from the host cookies the client's browser sent (if any). */
  readonly hostTokens?: ReadonlyMap<string, string>;
  /** Sends one message; a no-op once the connection is closing. */
  send(message: ServerMessage): void;
  /** Sends one binary frame (a relayed frame, see relay-frame.ts); a no-op once closing. */
  sendBinary?(frame: Uint8Array): void;
  /** Closes the connection with a WebSocket close code. */
  close(code: number, reason: string): void;
}

/** WebSocket close codes the server uses. */
export const CloseCode = {
  /** The member left on purpose. */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** A fatal protocol error (refused join, join timeout); an `error` message precedes it. */
  policyViolation: 1008,
  /** Another connection joined with the same peer id and took over. */
  replaced: 4000,
  /** The host removed this member from the room; an `error` (`removed`) precedes it. */
  removed: 4001,
} as const;
