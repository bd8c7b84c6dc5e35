// A TCP port on 127.0.0.1 that nobody listens on right now: bound, then closed.
import { createServer } from 'node:net';

/** For a server that takes a fixed port, or a connection that must find nothing listening. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}
