/**
 * Prometheus metrics of one server. Each server gets its own Registry rather than the
 * global one, so several servers can run in one process (the tests and `--local-peers` do).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { SignalingErrorCode } from './protocol.ts';

/** Counts the room model can report at scrape time. */
export interface RoomCounts {
  rooms(): number;
  members(): number;
}

/** The counters a server updates, plus the registry that renders them. */
export interface SignalingMetrics {
  readonly registry: Registry;
  readonly joins: Counter;
  readonly joinsRefused: Counter<'reason'>;
  readonly signalsRelayed: Counter;
  /** Payload bytes of frames relayed between members whose data channel could not open. */
  readonly relayedBytes: Counter;
  readonly errors: Counter<'code'>;
  /** The metrics in Prometheus text format. */
  render(): Promise<string>;
}

// Every code, so that each counter series exists (at 0) from the first scrape: Prometheus
// rate() and alerts see a series appear, not a gap. `satisfies` keeps the list complete.
const ERROR_CODES = Object.keys({
  'bad-json': true,
  'bad-message': true,
  'bad-version': true,
  'too-large': true,
  'rate-limited': true,
  'bad-token': true,
  'token-expired': true,
  'token-revoked': true,
  removed: true,
  'not-host': true,
  'too-many-connections': true,
  'bad-origin': true,
  'not-joined': true,
  'already-joined': true,
  'unknown-peer': true,
  'id-taken': true,
  'room-full': true,
  'relay-limited': true,
} satisfies Record<SignalingErrorCode, true>) as SignalingErrorCode[];

const JOIN_REFUSAL_CODES: SignalingErrorCode[] = [
  'rate-limited',
  'bad-version',
  'bad-token',
  'token-expired',
  'token-revoked',
  'removed',
  'room-full',
];

/** Creates the metrics of one server; the gauges read `counts` whenever they are scraped. */
export function createMetrics(counts: RoomCounts): SignalingMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  new Gauge({
    name: 'pd_rooms',
    help: 'Rooms with at least one member.',
    registers,
    collect() {
      this.set(counts.rooms());
    },
  });
  new Gauge({
    name: 'pd_members',
    help: 'Members over all rooms.',
    registers,
    collect() {
      this.set(counts.members());
    },
  });
  const joinsRefused = new Counter({
    name: 'pd_joins_refused_total',
    help: 'Refused joins, by error code.',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of JOIN_REFUSAL_CODES) joinsRefused.inc({ reason }, 0);
  const errors = new Counter({
    name: 'pd_errors_total',
    help: 'Error messages sent to clients (and frames ws refused as too large), by code.',
    labelNames: ['code'],
    registers,
  });
  for (const code of ERROR_CODES) errors.inc({ code }, 0);
  return {
    registry,
    joins: new Counter({ name: 'pd_joins_total', help: 'Accepted joins.', registers }),
    joinsRefused,
    signalsRelayed: new Counter({
      name: 'pd_signal_messages_relayed_total',
      help: 'Signal messages relayed between members.',
      registers,
    }),
    relayedBytes: new Counter({
      name: 'pd_relayed_bytes_total',
      help: 'Payload bytes relayed between members whose data channel could not open.',
      registers,
    }),
    errors,
    render: () => registry.metrics(),
  };
}

/** Counts one error sent to a client (typed so that only protocol codes are used as labels). */
export function countError(metrics: SignalingMetrics, code: SignalingErrorCode): void {
  metrics.errors.inc({ code });
}
