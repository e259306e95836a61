/**
 * The controller's persistence policy. Checkpoints: accepted results are saved in batches —
 * once `checkpointEvery` are waiting or the oldest waited `checkpointIntervalMs` — so a crash
 * loses little and storage sees few writes; the job's peers are saved whenever they change.
 * Restore: chunks not done wait in limbo until every peer of the last checkpoint (and every
 * peer present) said what it holds, or until `restoreGraceMs`.
 */
import type { ControllerOptions } from './controller-types.ts';

export class Persistence {
  private unsaved: number[] = [];
  private unsavedSince = 0;
  private savedPeers = '';
  private readonly reported = new Set<string>();
  private startedAt = 0;

  constructor(
    private readonly options: ControllerOptions,
    /** The peers of the checkpoint restored from; undefined when unknown (or not restored). */
    private readonly expectPeers: readonly string[] | undefined,
  ) {}

  /** Accepted results not saved yet. */
  get waiting(): number {
    return this.unsaved.length;
  }

  start(now: number): void {
    this.startedAt = now;
  }

  /** Notes an accepted chunk; returns true when the batch is full. */
  accepted(chunkId: number, now: number): boolean {
    if (this.unsaved.length === 0) this.unsavedSince = now;
    this.unsaved.push(chunkId);
    return this.unsaved.length >= this.options.checkpointEvery;
  }

  /** A checkpoint is due: the oldest unsaved result waited long enough, or the peers changed. */
  due(now: number, peers: readonly string[]): boolean {
    const waited = now - this.unsavedSince >= this.options.checkpointIntervalMs;
    return (this.unsaved.length > 0 && waited) || peers.join() !== this.savedPeers;
  }

  /** Empties the batch for a checkpoint that saves it with `peers`; returns its chunk ids. */
  take(peers: readonly string[]): number[] {
    const ids = this.unsaved;
    this.unsaved = [];
    this.savedPeers = peers.join();
    return ids;
  }

  /** A peer answered the announce with what it holds. */
  reportedBy(peerId: string): void {
    this.reported.add(peerId);
  }

  /**
   * Limbo may end: every expected peer reported and `presentReported` (every peer present
   * did too), or the grace passed — a restore that does not know whom to expect waits for it.
   */
  limboMayEnd(now: number, presentReported: boolean): boolean {
    const expected = this.expectPeers;
    const allReported =
      expected !== undefined && presentReported && expected.every((id) => this.reported.has(id));
    return allReported || now - this.startedAt >= this.options.restoreGraceMs;
  }
}
