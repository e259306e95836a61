/// <reference types="mocha" />
// FramedChannel over a real RTCPeerConnection pair in one page: proves the adapter against
// Chromium's data channel (message size limit, bufferedAmount, 16 MiB send-queue limit).
// Runs inside scripts/netns.sh, which gives WebRTC an address to gather a candidate on.
import { expect } from '@esm-bundle/chai';
import {
  DEFAULT_HIGH_WATER_MARK,
  FramedChannel,
  fragmentSizeFor,
} from '../../../client/mesh/framed-channel.ts';
import { FRAGMENT_HEADER_BYTES, type Frame } from '../../../client/protocol/frame.ts';

const MiB = 1024 * 1024;

interface End {
  pc: RTCPeerConnection;
  channel: RTCDataChannel;
  framed: FramedChannel;
  frames: Frame[];
}

/** Resolves once the connection gathered all its candidates, so SDP alone carries them. */
function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
}

function opened(channel: RTCDataChannel): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  return new Promise((resolve, reject) => {
    channel.addEventListener('open', () => resolve(), { once: true });
    channel.addEventListener('close', () => reject(new Error('channel closed')), { once: true });
  });
}

/** Wraps a channel as the app does (PeerLink's options): binary messages in, frames out. */
function wrap(pc: RTCPeerConnection, channel: RTCDataChannel): End {
  channel.binaryType = 'arraybuffer';
  const framed = new FramedChannel(channel, {
    maxMessageSize: fragmentSizeFor(pc.sctp?.maxMessageSize),
  });
  const frames: Frame[] = [];
  framed.onFrame((frame) => frames.push(frame));
  channel.addEventListener('message', (event: MessageEvent<ArrayBuffer>) =>
    framed.receive(event.data),
  );
  channel.addEventListener('close', () => framed.close('data channel closed'));
  return { pc, channel, framed, frames };
}

/** Two connected peers in this page; offer and answer pass directly, with no server. */
async function connectPair(): Promise<[End, End]> {
  const pcA = new RTCPeerConnection();
  const pcB = new RTCPeerConnection();
  const channelA = pcA.createDataChannel('pd', { ordered: true });
  const channelB = new Promise<RTCDataChannel>((resolve) => {
    pcB.addEventListener('datachannel', (event) => resolve(event.channel), { once: true });
  });
  await pcA.setLocalDescription();
  await gathered(pcA);
  await pcB.setRemoteDescription(pcA.localDescription!);
  await pcB.setLocalDescription();
  await gathered(pcB);
  await pcA.setRemoteDescription(pcB.localDescription!);
  const b = await channelB;
  await Promise.all([opened(channelA), opened(b)]);
  return [wrap(pcA, channelA), wrap(pcB, b)];
}

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 64 KiB per call.
  for (let at = 0; at < length; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
  return out;
}

async function sha256(bytes: Uint8Array | undefined): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', (bytes ?? new Uint8Array(0)).slice());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Resolves with the first frame of `type` (and `seq`, if given) that `end` receives from now on. */
function nextFrame(end: End, type: string, seq?: number): Promise<Frame> {
  return new Promise((resolve) => {
    const stop = end.framed.onFrame((frame) => {
      if (frame.header.type !== type || (seq !== undefined && frame.header.seq !== seq)) return;
      stop();
      resolve(frame);
    });
  });
}

/** Samples `channel.bufferedAmount` every millisecond until stopped; returns the largest. */
function sampleBuffer(channel: RTCDataChannel): () => number {
  let max = 0;
  const timer = setInterval(() => (max = Math.max(max, channel.bufferedAmount)), 1);
  return () => {
    clearInterval(timer);
    return Math.max(max, channel.bufferedAmount);
  };
}

describe('FramedChannel over a real RTCDataChannel', () => {
  let a: End;
  let b: End;
  let fragment: number;

  before(async () => {
    [a, b] = await connectPair();
    fragment = fragmentSizeFor(a.pc.sctp?.maxMessageSize);
  });

  after(() => {
    a?.pc.close();
    b?.pc.close();
  });

  it('uses the transport advertised message size, capped at 32 KiB', () => {
    expect(a.pc.sctp?.maxMessageSize).to.be.a('number');
    expect(fragment).to.equal(Math.min(a.pc.sctp!.maxMessageSize, 32 * 1024));
  });

  it('delivers a header-only frame and a 0-byte body', async () => {
    const headerOnly = nextFrame(b, 'hello');
    await a.framed.send({ header: { type: 'hello', peerId: 'a' } });
    expect((await headerOnly).header).to.deep.equal({ type: 'hello', peerId: 'a' });
    expect((await headerOnly).body).to.equal(undefined);
    const empty = nextFrame(b, 'empty');
    await a.framed.send({ header: { type: 'empty' }, body: new Uint8Array(0) });
    expect((await empty).body?.byteLength).to.equal(0);
  });

  it('delivers bodies around the message size limit intact, in both directions', async () => {
    const header = { type: 'edge' };
    const room = fragment - FRAGMENT_HEADER_BYTES - 4 - JSON.stringify(header).length;
    for (const size of [room - 1, room, room + 1, fragment, 2 * fragment + 1]) {
      const body = randomBytes(size);
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const arrived = nextFrame(to, 'edge');
        await from.framed.send({ header, body });
        expect(await sha256((await arrived).body), `${size} bytes`).to.equal(await sha256(body));
      }
    }
  });

  it('delivers a 5 MiB body intact while control frames overtake it', async () => {
    const body = randomBytes(5 * MiB);
    const order: string[] = [];
    const stop = b.framed.onFrame((frame) => order.push(frame.header.type));
    const bulk = nextFrame(b, 'bulk');
    const lastHeartbeat = nextFrame(b, 'heartbeat', 4);
    const sent = a.framed.send({ header: { type: 'bulk' }, body });
    const controls: Promise<void>[] = [];
    for (let seq = 0; seq < 5; seq++) {
      controls.push(a.framed.send({ header: { type: 'heartbeat', seq } }, { priority: 'control' }));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all([sent, ...controls, lastHeartbeat]);
    expect(await sha256((await bulk).body)).to.equal(await sha256(body));
    stop();
    // The first heartbeat was queued while the bulk fragments filled the buffer, so it went
    // ahead of the rest of them; later ones may well come after the body is complete.
    expect(order.filter((type) => type === 'heartbeat')).to.have.length(5);
    expect(order.indexOf('heartbeat'), order.join()).to.be.lessThan(order.indexOf('bulk'));
  });

  it('sends 20 MiB, past the 16 MiB send queue, without the channel closing', async () => {
    const body = randomBytes(20 * MiB);
    const stopSampling = sampleBuffer(a.channel);
    const arrived = nextFrame(b, 'result');
    const started = performance.now();
    await a.framed.send({ header: { type: 'result' }, body });
    const frame = await arrived;
    const seconds = (performance.now() - started) / 1000;
    const sampled = stopSampling();
    expect(await sha256(frame.body)).to.equal(await sha256(body));
    expect(a.channel.readyState).to.equal('open');
    expect(sampled).to.be.at.most(DEFAULT_HIGH_WATER_MARK + fragment);
    expect(a.framed.stats.maxBufferedAmount).to.be.at.most(DEFAULT_HIGH_WATER_MARK + fragment);
    expect(a.framed.closed).to.equal(false);
    console.log(
      `framed-channel throughput: ${(body.byteLength / 1e6 / seconds).toFixed(1)} MB/s ` +
        `(20 MiB in ${seconds.toFixed(2)} s, fragments of ${fragment} B, ` +
        `max bufferedAmount ${a.framed.stats.maxBufferedAmount} B sent / ${sampled} B sampled)`,
    );
  });

  it('counted no receive errors on either end', () => {
    expect(a.framed.stats.errors + b.framed.stats.errors).to.equal(0);
    expect(b.framed.stats.bytesReceived).to.equal(a.framed.stats.bytesSent);
  });
});

describe('FramedChannel on a fresh connection', () => {
  it('sends its first 5 MiB without a retransmission-timeout stall', async () => {
    // With 4 MiB queued, Chromium's SCTP stack lost packets on a fresh connection and waited out
    // retransmission timeouts: fragments stopped arriving for 60–900 ms and the first 5 MiB
    // ran at 2–14 MB/s (see DEFAULT_HIGH_WATER_MARK). Now they arrive a few ms apart.
    const [a, b] = await connectPair();
    try {
      const fragment = fragmentSizeFor(a.pc.sctp?.maxMessageSize);
      const body = randomBytes(5 * MiB);
      let last = performance.now();
      let longestGap = 0;
      b.channel.addEventListener('message', () => {
        const now = performance.now();
        longestGap = Math.max(longestGap, now - last);
        last = now;
      });
      const stopSampling = sampleBuffer(a.channel);
      const arrived = nextFrame(b, 'bulk');
      const started = performance.now();
      last = started;
      await a.framed.send({ header: { type: 'bulk' }, body });
      const frame = await arrived;
      const ms = performance.now() - started;
      const sampled = stopSampling();
      expect(await sha256(frame.body)).to.equal(await sha256(body));
      expect(sampled).to.be.at.most(DEFAULT_HIGH_WATER_MARK + fragment);
      console.log(
        `first 5 MiB on a fresh connection: ${(body.byteLength / 1e3 / ms).toFixed(1)} MB/s ` +
          `(${ms.toFixed(0)} ms; longest wait between fragments ${longestGap.toFixed(0)} ms)`,
      );
      expect(longestGap, 'longest wait between fragments, ms').to.be.below(250);
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});
