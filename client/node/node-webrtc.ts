/**
 * WebRTC for simple-peer in Node: node-datachannel's polyfill (libdatachannel), with one
 * adaptation. The polyfill's createOffer/createAnswer resolve with RTCSessionDescription
 * objects whose `sdp` is read-only, and simple-peer assigns `offer.sdp` (its sdpTransform):
 * the assignment throws. Browsers resolve with plain dictionaries, so this does too.
 */
import * as polyfill from 'node-datachannel/polyfill';
import type { PeerLinkOptions } from '../mesh/peer-link.ts';

type Description = { type: RTCSdpType; sdp: string };

class PeerConnection extends polyfill.RTCPeerConnection {
  override async createOffer(...args: Parameters<polyfill.RTCPeerConnection['createOffer']>) {
    const offer = (await super.createOffer(...args)) as Description;
    return { type: offer.type, sdp: offer.sdp } as never;
  }

  override async createAnswer(...args: Parameters<polyfill.RTCPeerConnection['createAnswer']>) {
    const answer = (await super.createAnswer(...args)) as Description;
    return { type: answer.type, sdp: answer.sdp } as never;
  }
}

/** The `wrtc` option for simple-peer (PeerLink) in Node. */
export const nodeWrtc = {
  ...polyfill,
  RTCPeerConnection: PeerConnection,
} as unknown as NonNullable<PeerLinkOptions['wrtc']>;
