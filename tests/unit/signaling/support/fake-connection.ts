/**
 * An in-memory `Connection` for hub tests: records what was sent and how it was closed.
 */
import type { Connection } from '../../../../signaling/connection.ts';
import type { ServerMessage } from '../../../../signaling/protocol.ts';

/** A connection that keeps everything the hub sends it. */
export class FakeConnection implements Connection {
  readonly sent: ServerMessage[] = [];
  closedWith: { code: number; reason: string } | undefined;

  constructor(
    readonly address = '10.0.0.1',
    readonly hostname: string | undefined = 'host.test',
  ) {}

  send(message: ServerMessage): void {
    if (!this.closedWith) this.sent.push(message);
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }

  /** Removes and returns everything sent so far. */
  take(): ServerMessage[] {
    return this.sent.splice(0);
  }

  /** Types of everything sent so far (and forgets them). */
  takeTypes(): string[] {
    return this.take().map((m) => (m.type === 'error' ? `error:${m.code}` : m.type));
  }
}
