// What a server sent on a raw socket, read until it closed the connection.
import { once } from 'node:events';
import type { Socket } from 'node:net';

/** Everything the server sent, once the socket closed. */
export async function closedWith(socket: Socket): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  if (!socket.closed) await once(socket, 'close');
  return text;
}
