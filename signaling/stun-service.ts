/**
 * A minimal STUN server (RFC 5389 binding requests only) on the host, so that browsers on
 * the LAN gather server-reflexive candidates from it and need no mDNS or internet STUN.
 */
import { createSocket, type Socket } from 'node:dgram';
import stun from 'stun';

/** A running STUN service. */
export interface StunService {
  /** UDP port it answers on. */
  readonly port: number;
  close(): Promise<void>;
}

/** Options of {@link startStunService}. */
export interface StunServiceOptions {
  /** UDP port; 0 picks a free one. */
  port: number;
  /** Address to bind; IPv6 addresses get a udp6 socket. */
  host: string;
  /** Told about undecodable datagrams and socket errors (they never stop the service). */
  onError?: (error: Error) => void;
}

function bindSocket(socket: Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/** Binds the UDP socket and answers every binding request with the sender's address. */
export async function startStunService(options: StunServiceOptions): Promise<StunService> {
  const type = options.host.includes(':') ? 'udp6' : 'udp4';
  const socket = createSocket({ type });
  await bindSocket(socket, options.port, options.host);
  // An external socket: the stun server only decodes, the service owns the socket.
  const server = stun.createServer({ type, socket });
  const onError = options.onError ?? (() => {});
  socket.on('error', onError);
  // The stun package reports undecodable datagrams (any UDP noise) as 'error' events;
  // without a listener they would crash the process.
  server.on('error', onError);
  server.on('bindingRequest', (request, rinfo) => {
    const response = stun.createMessage(
      stun.constants.STUN_BINDING_RESPONSE,
      request.transactionId,
    );
    response.addXorAddress(rinfo.address, rinfo.port);
    response.addFingerprint();
    server.send(response, rinfo.port, rinfo.address);
  });
  return {
    port: socket.address().port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close();
        socket.close(() => resolve());
      }),
  };
}
