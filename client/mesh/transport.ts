/**
 * What the rest of the client (scheduler, runtime) needs from a mesh: send a message to a
 * peer, hear messages, know who is there. WebRTC (RoomSession) is one implementation; an
 * in-memory pair is another, for tests.
 */
import type { OutgoingMessage, PeerMessage } from '../protocol/messages.ts';

/** A validated message with its optional binary body. */
export interface IncomingMessage {
  from: string;
  message: PeerMessage;
  body?: Uint8Array;
}

export interface SendOptions {
  /** Control frames overtake queued bulk fragments (heartbeats, small replies). */
  priority?: 'control' | 'bulk';
  signal?: AbortSignal;
}

export interface PeerChange {
  peerId: string;
  /** True when a channel to the peer opened; false when it closed. */
  open: boolean;
}

export interface Transport {
  readonly selfId: string;
  /** Peers with an open channel. */
  peers(): readonly string[];
  /** Resolves once the message is handed to the channel; rejects if there is none. */
  send(
    to: string,
    message: OutgoingMessage,
    body?: Uint8Array,
    options?: SendOptions,
  ): Promise<void>;
  onMessage(listener: (event: IncomingMessage) => void): () => void;
  onPeerChange(listener: (event: PeerChange) => void): () => void;
  close(): void;
}
