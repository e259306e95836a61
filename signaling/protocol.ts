/**
 * Wire contract between a peer and the signaling server: JSON text frames over the
 * WebSocket at `/ws`. Shared by the server and the client, so it must stay free of
 * Node and DOM APIs.
 *
 * The server introduces peers and relays their WebRTC signals. Job data passes through it
 * only for a pair whose data channel cannot open: their frames travel as binary WebSocket
 * messages (relay-frame.ts), forwarded opaque within the room.
 */

/** Version of this contract; a join with another `v` is refused with `bad-version`. */
export const SIGNALING_VERSION = 1;

/** Largest signaling frame the server accepts, in bytes (UTF-8). */
export const MAX_SIGNAL_MESSAGE_BYTES = 64 * 1024;

/** Path of the WebSocket endpoint. */
export const SIGNALING_PATH = '/ws';

/** Facts a peer reports about its device; every field is informational. */
export interface DeviceInfo {
  /** `navigator.hardwareConcurrency` (or `os.availableParallelism()` in Node). */
  cores: number;
  /** `navigator.deviceMemory` in GiB, where the browser tells. */
  memoryGiB?: number;
  userAgent: string;
  /** Optional quick benchmark score (higher is faster). */
  benchmark?: number;
}

/** A member of a room as the server describes it to the others. */
export interface Member {
  peerId: string;
  name: string;
  device: DeviceInfo;
  /** Cores this member donates to the room's jobs (0 = joins without computing). */
  donatedCores: number;
  /** Server time (ms since epoch) of this member's join. */
  joinedAt: number;
  /** Present (true) when this member joined with the room's host token. */
  host?: true;
}

/** An ICE server entry as RTCPeerConnection takes it. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

// ---------- client → server ----------

/** First message on a socket: join a room with a token issued by `POST /api/rooms`. */
export interface JoinMessage {
  type: 'join';
  v: number;
  room: string;
  token: string;
  /**
   * Chosen by the peer (stable for the life of its tab) so that it keeps its identity
   * across a server restart and its data channels stay valid.
   */
  peerId: string;
  name: string;
  device: DeviceInfo;
  donatedCores: number;
  /**
   * The host token `POST /api/rooms` gave the room's creator. It makes this member the
   * host, who may rotate the room token and remove members. Never part of a room link.
   */
  hostToken?: string;
}

/** Relay `data` (a simple-peer signal: offer, answer or candidate) to member `to`. */
export interface SignalOutMessage {
  type: 'signal';
  to: string;
  data: unknown;
}

/** Change what this member tells the others (name, donated cores). */
export interface UpdateMessage {
  type: 'update';
  name?: string;
  donatedCores?: number;
}

/** Leave the room on purpose (the socket closing has the same effect). */
export interface LeaveMessage {
  type: 'leave';
}

/**
 * Host only: replace the room token. Links with the old token stop working for new joins;
 * members already in stay, and every member receives the new token (`room-token`).
 */
export interface RotateTokenMessage {
  type: 'rotate-token';
}

/**
 * Host only: remove a member. Its socket is closed, the others see it leave (`removed`),
 * and its peer id may not join again with a token of the current generation.
 */
export interface RemoveMemberMessage {
  type: 'remove-member';
  peerId: string;
}

export type ClientMessage =
  | JoinMessage
  | SignalOutMessage
  | UpdateMessage
  | LeaveMessage
  | RotateTokenMessage
  | RemoveMemberMessage;

// ---------- server → client ----------

/** Answer to a valid join. */
export interface WelcomeMessage {
  type: 'welcome';
  v: number;
  room: string;
  peerId: string;
  /** The other members, in join order (not including the receiver). */
  members: Member[];
  /** ICE servers to use for peer connections (the host's STUN service). */
  iceServers: IceServer[];
  /** When the token used to join expires (ms since epoch). */
  tokenExpiresAt: number;
  /** True when the join carried a valid host token: this member may rotate and remove. */
  host: boolean;
}

export interface MemberJoinedMessage {
  type: 'member-joined';
  member: Member;
}

export interface MemberUpdatedMessage {
  type: 'member-updated';
  member: Member;
}

export type LeaveReason = 'left' | 'socket-closed' | 'timeout' | 'replaced' | 'removed';

export interface MemberLeftMessage {
  type: 'member-left';
  peerId: string;
  reason: LeaveReason;
}

export interface SignalInMessage {
  type: 'signal';
  from: string;
  data: unknown;
}

/** The host rotated the room token: this is the one to join (and rejoin) with from now on. */
export interface RoomTokenMessage {
  type: 'room-token';
  token: string;
  /** ms since epoch. */
  expiresAt: number;
}

/** Codes carried by `error` messages and refused-join metrics. */
export type SignalingErrorCode =
  | 'bad-json'
  | 'bad-message'
  | 'bad-version'
  | 'too-large'
  | 'rate-limited'
  | 'bad-token'
  | 'token-expired'
  | 'token-revoked'
  | 'removed'
  | 'not-host'
  | 'too-many-connections'
  /** Counted only: a WebSocket upgrade from a foreign page is refused with HTTP 403. */
  | 'bad-origin'
  | 'not-joined'
  | 'already-joined'
  | 'unknown-peer'
  | 'id-taken'
  | 'room-full'
  /** A relayed frame (relay-frame.ts) went over the connection's relay byte budget. */
  | 'relay-limited';

export interface ErrorMessage {
  type: 'error';
  code: SignalingErrorCode;
  message: string;
  /** True when the server closes the socket after this message (e.g. a refused join). */
  fatal: boolean;
}

export type ServerMessage =
  | WelcomeMessage
  | MemberJoinedMessage
  | MemberUpdatedMessage
  | MemberLeftMessage
  | SignalInMessage
  | RoomTokenMessage
  | ErrorMessage;

// ---------- HTTP API ----------

/** `POST /api/rooms` request body (optional). */
export interface CreateRoomRequest {
  /** Token lifetime in seconds; default 24 h, at most 7 days. */
  ttlSeconds?: number;
}

/** `POST /api/rooms` answer (201). */
export interface CreateRoomResponse {
  roomId: string;
  token: string;
  /**
   * The host's credential (see `JoinMessage.hostToken`), valid as long as the room. Keep it
   * in the creating tab only: it is not part of any link.
   */
  hostToken: string;
  /** ms since epoch. */
  expiresAt: number;
  /** The link to share: the preferred base URL plus `#room=<id>&t=<token>`. */
  link: string;
  /** The same fragment on every URL the server listens on. */
  links: string[];
}

/** `GET /api/info` answer: where the server can be reached. */
export interface ServerInfo {
  version: string;
  /** Every URL the app is served on (HTTP LAN URLs, HTTPS URLs, localhost). */
  urls: string[];
  /** The URL links and QR codes use (HTTPS with a trusted certificate, else HTTP on the LAN). */
  preferredUrl: string;
  /** True when the HTTPS certificate was supplied with --cert/--key (so devices may trust it). */
  trustedCertificate: boolean;
}

// ---------- helpers shared by both ends ----------

/** Builds the fragment of a room link: `#room=<id>&t=<token>`. */
export function roomFragment(roomId: string, token: string): string {
  return `#room=${encodeURIComponent(roomId)}&t=${encodeURIComponent(token)}`;
}

/** Reads `room` and `t` from a room link or its fragment; undefined when either is missing. */
export function parseRoomLink(link: string): { roomId: string; token: string } | undefined {
  const hashAt = link.indexOf('#');
  const fragment = hashAt >= 0 ? link.slice(hashAt + 1) : link;
  const params = new URLSearchParams(fragment);
  const roomId = params.get('room');
  const token = params.get('t');
  if (!roomId || !token) return undefined;
  return { roomId, token };
}
