/**
 * Room links as the app uses them: `<base>#room=<id>&t=<token>`. The token rides in the
 * fragment, which browsers never send to servers or in referrers.
 */
import { parseRoomLink, roomFragment, type ServerInfo } from '../signaling/protocol.ts';

export { parseRoomLink };

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * The link to share for a room. A page opened on localhost would hand phones a useless
 * link, so it uses the server's preferred LAN URL then; otherwise the origin the person used.
 */
export function shareableRoomLink(roomId: string, token: string, info?: ServerInfo): string {
  const base = LOOPBACK.test(location.hostname) && info ? info.preferredUrl : `${location.origin}/`;
  return new URL(roomFragment(roomId, token), base).href;
}
