/**
 * The part of the `stun` package (2.x, untyped CommonJS) that ProcessDistro uses.
 * See node_modules/stun/readme.md for the full API.
 */
declare module 'stun' {
  import type { EventEmitter } from 'node:events';
  import type { RemoteInfo, Socket } from 'node:dgram';

  /** A decoded STUN message. */
  export interface StunMessage {
    readonly type: number;
    readonly transactionId: Buffer;
    getXorAddress(): { family: 'IPv4' | 'IPv6'; address: string; port: number } | undefined;
  }

  /** A STUN message being built. */
  export interface StunRequest extends StunMessage {
    addXorAddress(address: string, port: number): unknown;
    addFingerprint(): unknown;
    toBuffer(): Buffer;
  }

  /** Decodes datagrams on a UDP socket and emits `bindingRequest` and friends. */
  export interface StunServer extends EventEmitter {
    send(message: StunRequest, port: number, address: string, callback?: () => void): boolean;
    close(): void;
    on(event: 'bindingRequest', listener: (request: StunMessage, rinfo: RemoteInfo) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export interface RequestOptions {
    socket?: Socket;
    server?: StunServer;
    timeout?: number;
    maxTimeout?: number;
    retries?: number;
  }

  interface StunModule {
    createServer(options: { type: 'udp4' | 'udp6'; socket?: Socket }): StunServer;
    createMessage(type: number, transactionId?: Buffer): StunRequest;
    request(url: string, options?: RequestOptions): Promise<StunMessage>;
    constants: {
      STUN_BINDING_REQUEST: number;
      STUN_BINDING_RESPONSE: number;
      STUN_EVENT_BINDING_REQUEST: 'bindingRequest';
      [name: string]: unknown;
    };
  }

  const stun: StunModule;
  export default stun;
}
