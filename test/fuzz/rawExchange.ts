// One hostile request on a raw socket, and the statuses of what came back.
import { connect } from 'node:net';

import { bytesOf, type Aim, type HostileRequest } from './hostileRequests.js';

/** The statuses of every response in `data` (1xx skipped); stops at an unfinished one. */
export function statusesIn(data: Buffer, firstIsHead: boolean): number[] {
  const statuses: number[] = [];
  let at = 0;
  let head = firstIsHead;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const lines = data.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1]);
    if (!Number.isInteger(status)) break;
    at = end + 4;
    if (status < 200) continue;
    statuses.push(status);
    const header = (name: string) =>
      lines
        .find((line) => line.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    if (head) {
      head = false;
      continue;
    }
    const length = header('content-length');
    if (length !== undefined) at += Number(length);
    else if (header('transfer-encoding')?.toLowerCase() === 'chunked') {
      for (;;) {
        const lineEnd = data.indexOf('\r\n', at);
        if (lineEnd < 0) return statuses;
        const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
        at = lineEnd + 2 + size + 2;
        if (size === 0 || Number.isNaN(size)) break;
      }
    } else break; // read to the close
  }
  return statuses;
}

/** What the server did with one request. */
export interface Answer {
  readonly statuses: readonly number[];
  /** The first answer was an open event stream (closed by the client). */
  readonly stream: boolean;
}

/**
 * Write `request` on a new connection and read until the server closes it (or opens an event
 * stream, which the client then closes). Rejects when the server has not finished within
 * `deadlineMs`.
 */
export function send(aim: Aim, request: HostileRequest, deadlineMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(aim.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let stream = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${deadlineMs} ms`));
    }, deadlineMs);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (stream) return;
      // The first final answer's head (after any 100 Continue).
      const text = Buffer.concat(chunks).toString('latin1').toLowerCase();
      const head =
        /^(?:http\/1\.1 1\d\d[^\n]*\r\n(?:[^\r]*\r\n)*\r\n)*(http\/1\.1 [^]*?)\r\n\r\n/.exec(
          text,
        )?.[1];
      if (head?.startsWith('http/1.1 200') && head.includes('content-type: text/event-stream')) {
        stream = true;
        socket.destroy();
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ statuses: statusesIn(Buffer.concat(chunks), request.method === 'HEAD'), stream });
    });
    socket.write(bytesOf(request, aim));
    if (request.ending === 'half-close' && request.framing !== 'long') socket.end();
  });
}
