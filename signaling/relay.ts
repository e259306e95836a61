/**
 * Forwards relayed frames (see relay-frame.ts) between members of one room, the fallback for
 * pairs whose data channel cannot open. Each connection's relayed bytes draw from a token
 * bucket of their own; a frame over the budget is dropped with a `relay-limited` error, and a
 * connection that keeps going after being told is closed. Other refusals (an unknown member,
 * a malformed frame) are answered a few times a second at most: frames still in flight to a
 * member that just left are no abuse, and a flood of them must not become a flood of replies.
 */
import type { Connection } from './connection.ts';
import { sendError, type HubContext } from './handlers.ts';
import {
  RELAY_FRAME_OVERHEAD_BYTES,
  RELAY_MAX_PAYLOAD_BYTES,
  decodeRelayFrame,
  encodeRelayFrame,
} from './relay-frame.ts';
import { TokenBucket, type Clock, type RateLimit } from './rate-limit.ts';
import { findSeat } from './rooms.ts';

/** Refusals for going over the relay budget one connection may collect before it is closed. */
const RELAY_STRIKES: RateLimit = { ratePerSecond: 1, burst: 20 };
/** Other refusals answered per connection; past these they are dropped without a word. */
const RELAY_REPLIES: RateLimit = { ratePerSecond: 2, burst: 10 };

interface RelayBudget {
  bytes: TokenBucket;
  strikes: TokenBucket;
  replies: TokenBucket;
}

/** The relay of one hub. */
export class RelayForwarder {
  private readonly budgets = new WeakMap<Connection, RelayBudget>();

  constructor(
    private readonly ctx: HubContext,
    private readonly rate: RateLimit,
    private readonly now: Clock = Date.now,
  ) {}

  /** Handles one binary frame from `conn`: checks budget, membership and target, forwards. */
  receive(conn: Connection, frame: Uint8Array): void {
    const budget = this.budgetOf(conn);
    if (!this.takeBudget(conn, budget, frame.byteLength)) return;
    const session = this.ctx.sessions.get(conn);
    if (!session) {
      this.refuse(conn, budget, 'not-joined', 'send a join before relaying frames');
      return;
    }
    const relayed = decodeRelayFrame(frame);
    if (!relayed || relayed.payload.byteLength > RELAY_MAX_PAYLOAD_BYTES) {
      this.refuse(conn, budget, 'bad-message', 'binary frames must be relayed frames');
      return;
    }
    // The same rule as for signals: only to another member of the sender's own room.
    const target =
      relayed.peerId === session.peerId
        ? undefined
        : findSeat(this.ctx.rooms, session.roomId, relayed.peerId);
    if (!target?.link.sendBinary) {
      this.refuse(conn, budget, 'unknown-peer', `no member ${relayed.peerId} in this room`);
      return;
    }
    target.link.sendBinary(encodeRelayFrame(session.peerId, relayed.payload));
    this.ctx.metrics.relayedBytes.inc(relayed.payload.byteLength);
  }

  private budgetOf(conn: Connection): RelayBudget {
    let budget = this.budgets.get(conn);
    if (!budget) {
      budget = {
        bytes: new TokenBucket(this.rate, this.now),
        strikes: new TokenBucket(RELAY_STRIKES, this.now),
        replies: new TokenBucket(RELAY_REPLIES, this.now),
      };
      this.budgets.set(conn, budget);
    }
    return budget;
  }

  private refuse(
    conn: Connection,
    budget: RelayBudget,
    code: 'not-joined' | 'bad-message' | 'unknown-peer',
    text: string,
  ): void {
    if (budget.replies.tryTake()) sendError(this.ctx, conn, code, text);
  }

  private takeBudget(conn: Connection, budget: RelayBudget, length: number): boolean {
    if (budget.bytes.tryTake(length + RELAY_FRAME_OVERHEAD_BYTES)) return true;
    const limit = `${Math.round(this.rate.ratePerSecond / 1024)} KiB/s`;
    if (!budget.strikes.tryTake()) {
      sendError(this.ctx, conn, 'relay-limited', `closing: kept relaying over ${limit}`, true);
    } else {
      sendError(this.ctx, conn, 'relay-limited', `relayed frame dropped: over ${limit}`);
    }
    return false;
  }
}
