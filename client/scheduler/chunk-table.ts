/**
 * The controller's chunk table for one job: every chunk's state (queued at the controller,
 * owned by a peer, done, or — right after a restore — in limbo until peers report what they
 * hold), its owner, its move count, and the steals not yet confirmed. Pure data; the
 * controller core decides when to change it. Chunk id = index in the kernel's split.
 */
import type { ChunkRef } from './job-messages.ts';

interface Transit {
  victim: string;
  thief: string;
  moves: number;
  /** When the victim's report arrived. */
  at: number;
}

/** Where a chunk is. `limbo`: not done at the last checkpoint, holder not yet known. */
export type ChunkState = 'queued' | 'owned' | 'done' | 'limbo';

const QUEUED = 0;
const OWNED = 1;
const DONE = 2;
const LIMBO = 3;
const STATES: readonly ChunkState[] = ['queued', 'owned', 'done', 'limbo'];

export class ChunkTable {
  readonly size: number;
  private readonly state: Uint8Array;
  private readonly owner: (string | undefined)[];
  private readonly moves: Uint32Array;
  private readonly owned = new Map<string, Set<number>>();
  /**
   * Queued ids, taken from `front` (requeued chunks, which hold the job's end back) before
   * `main[head…]`. Entries go stale when a queued chunk is claimed; `assignQueued` skips them.
   */
  private front: number[] = [];
  private main: number[] = [];
  private head = 0;
  /** Steals the victim reported and the thief has not confirmed yet, by chunk. */
  private readonly transit = new Map<number, Transit>();
  private tally = [0, 0, 0, 0];
  private readonly failures = new Map<number, number>();

  /** All chunks start queued; or, after a restore, `done` ones done and the rest in limbo. */
  constructor(size: number, restoredDone?: Iterable<number>) {
    this.size = size;
    this.state = new Uint8Array(size).fill(restoredDone ? LIMBO : QUEUED);
    this.owner = new Array<string | undefined>(size);
    this.moves = new Uint32Array(size);
    this.tally[restoredDone ? LIMBO : QUEUED] = size;
    if (restoredDone) {
      for (const id of restoredDone) if (this.has(id)) this.setState(id, DONE);
    } else {
      this.main = Array.from({ length: size }, (_, i) => i);
    }
  }

  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.size;
  }

  stateOf(id: number): ChunkState {
    return STATES[this.state[id]];
  }

  ownerOf(id: number): string | undefined {
    return this.owner[id];
  }

  movesOf(id: number): number {
    return this.moves[id];
  }

  count(state: ChunkState): number {
    return this.tally[STATES.indexOf(state)];
  }

  /** How many chunks are in each state. */
  counts(): Record<ChunkState, number> {
    const [queued, owned, done, limbo] = this.tally;
    return { queued, owned, done, limbo };
  }

  /** Counts one more failure of the chunk; returns how many it has had. */
  countFailure(id: number): number {
    const failures = (this.failures.get(id) ?? 0) + 1;
    this.failures.set(id, failures);
    return failures;
  }

  /** Chunks `peerId` owns (queued on it or running there). */
  ownedBy(peerId: string): ReadonlySet<number> {
    return this.owned.get(peerId) ?? new Set();
  }

  /** Peers that own at least one chunk. */
  owners(): string[] {
    return [...this.owned].filter(([, set]) => set.size > 0).map(([peerId]) => peerId);
  }

  /**
   * Hands up to `n` queued chunks to `peerId`, requeued ones first, then in id order; chunks
   * `mayRun` refuses (a replica must run on another peer) stay queued, in their order.
   */
  assignQueued(
    peerId: string,
    n: number,
    mayRun?: (id: number) => boolean,
  ): { id: number; moves: number }[] {
    const taken: number[] = [];
    const skipped: number[] = [];
    // A chunk claimed by a steal while queued at the front and then queued again is listed
    // there twice: the `seen` check keeps it from going out twice in one batch.
    const seen = new Set<number>();
    let i = 0;
    for (; taken.length < n && i < this.front.length; i++) {
      const id = this.front[i];
      if (this.state[id] !== QUEUED || seen.has(id)) continue;
      seen.add(id);
      if (mayRun && !mayRun(id)) skipped.push(id);
      else taken.push(id);
    }
    if (i > 0) this.front = skipped.concat(this.front.slice(i));
    while (taken.length < n && this.head < this.main.length) {
      const id = this.main[this.head++];
      if (this.state[id] !== QUEUED || seen.has(id)) continue;
      seen.add(id);
      if (mayRun && !mayRun(id)) this.front.push(id);
      else taken.push(id);
    }
    if (this.head > 1024 && this.head * 2 > this.main.length) {
      this.main = this.main.slice(this.head);
      this.head = 0;
    }
    return taken.map((id) => {
      this.moves[id] += 1;
      this.setOwner(id, peerId);
      return { id, moves: this.moves[id] };
    });
  }

  /**
   * Records news that `peerId` holds the chunk at `moves`. News older than what the table
   * knows is ignored (it raced a newer move); a done chunk stays done. Returns true if applied.
   */
  claim(id: number, peerId: string, moves: number): boolean {
    const state = this.state[id];
    if (state === DONE) return false;
    const newer = moves > this.moves[id];
    const unheld = (state === QUEUED || state === LIMBO) && moves >= this.moves[id];
    if (!newer && !unheld) return false;
    this.moves[id] = Math.max(this.moves[id], moves);
    this.setOwner(id, peerId);
    return true;
  }

  /** Puts a chunk back at the front of the queue. `moves` raises the known move count. */
  requeue(id: number, moves = 0): void {
    if (this.state[id] === DONE) return;
    this.moves[id] = Math.max(this.moves[id], moves);
    this.dropOwner(id);
    if (this.state[id] !== QUEUED) this.front.push(id);
    this.setState(id, QUEUED);
  }

  /**
   * Records that a victim reported giving the chunk (just claimed for `thief` at `moves`) away.
   * Until the thief confirms, the grant may be lost if the victim's channel breaks.
   */
  stolen(id: number, victim: string, thief: string, moves: number, now: number): void {
    this.transit.set(id, { victim, thief, moves, at: now });
  }

  /** The thief said it holds the chunk. */
  confirm(id: number, thief: string): void {
    if (this.transit.get(id)?.thief === thief) this.transit.delete(id);
  }

  /**
   * Requeues stolen chunks still unconfirmed `timeoutMs` after the victim's report (the
   * grant was lost: the link between the two broke while both kept theirs to us); returns
   * how many.
   */
  expireTransit(now: number, timeoutMs: number): number {
    let requeued = 0;
    for (const [id, entry] of this.transit) {
      if (now - entry.at < timeoutMs) continue;
      this.transit.delete(id);
      if (this.unconfirmed(id, entry)) {
        this.requeue(id);
        requeued += 1;
      }
    }
    return requeued;
  }

  /**
   * Requeues every chunk `peerId` owns, and those it gave away unconfirmed (the grant may
   * have been lost with it); returns their ids.
   */
  requeueOwnedBy(peerId: string): number[] {
    const ids = [...this.ownedBy(peerId)];
    for (const [id, entry] of this.transit) {
      if (entry.victim !== peerId && entry.thief !== peerId) continue;
      this.transit.delete(id);
      if (entry.victim === peerId && this.unconfirmed(id, entry)) ids.push(id);
    }
    ids.sort((a, b) => a - b);
    for (const id of ids) this.requeue(id);
    return ids;
  }

  /**
   * A peer's `job-status`: claims what it holds, and what it has results for if nobody holds
   * it; requeues what the table thought it owned but it does not hold (and is not being
   * stolen for it). Returns the chunks whose results it should send (those not done).
   */
  reconcile(peerId: string, held: readonly ChunkRef[], buffered: readonly number[]): number[] {
    const listed = new Set<number>();
    for (const { id, moves } of held) {
      if (!this.has(id)) continue;
      listed.add(id);
      this.claim(id, peerId, moves);
      this.confirm(id, peerId);
    }
    const wanted: number[] = [];
    for (const id of buffered) {
      if (!this.has(id) || this.state[id] === DONE) continue;
      listed.add(id);
      wanted.push(id);
      this.claim(id, peerId, this.moves[id]);
    }
    // Chunks on their way to it (a steal it has not received yet) are not missing.
    for (const id of [...this.ownedBy(peerId)]) {
      if (!listed.has(id) && this.transit.get(id)?.thief !== peerId) this.requeue(id);
    }
    return wanted;
  }

  /** A done chunk is done no more (its result is revoked): it is queued at the front. */
  reopen(id: number): void {
    if (this.state[id] !== DONE) return;
    this.front.push(id);
    this.setState(id, QUEUED);
  }

  /** Marks a chunk done (its first valid result was accepted). */
  markDone(id: number): void {
    this.transit.delete(id);
    this.dropOwner(id);
    this.setState(id, DONE);
  }

  /** Queues every chunk still in limbo, in id order. */
  releaseLimbo(): void {
    for (let id = 0; id < this.size; id++) {
      if (this.state[id] === LIMBO) {
        this.main.push(id);
        this.setState(id, QUEUED);
      }
    }
  }

  /** The table still has the chunk where the steal put it. */
  private unconfirmed(id: number, entry: Transit): boolean {
    return this.owner[id] === entry.thief && this.moves[id] === entry.moves;
  }

  private setOwner(id: number, peerId: string): void {
    this.dropOwner(id);
    this.owner[id] = peerId;
    let set = this.owned.get(peerId);
    if (!set) this.owned.set(peerId, (set = new Set()));
    set.add(id);
    this.setState(id, OWNED);
  }

  private dropOwner(id: number): void {
    const previous = this.owner[id];
    if (previous === undefined) return;
    this.owned.get(previous)?.delete(id);
    this.owner[id] = undefined;
  }

  private setState(id: number, state: number): void {
    this.tally[this.state[id]] -= 1;
    this.tally[state] += 1;
    this.state[id] = state;
  }
}
