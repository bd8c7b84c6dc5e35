// One JetStream message of a shipped log: consecutive events of one host's log, all of one
// capture, as JSONL lines; headers name the host's log and the seqs it holds.
import { DecodeError, decodeEvent } from '../events/codec.js';
import type { ToolflightEvent } from '../events/types.js';
import { encodeToken, parseSubject } from './subjects.js';

/** The header with the first and last seq a message holds: `7-12`. */
export const SEQ_HEADER = 'Toolflight-Seq';
/**
 * The `Nats-Msg-Id` of the message whose first event has `firstSeq` in `host`'s `log`. A message
 * sent again after a repair (the messages behind a lost one removed) carries the repair's token,
 * since the dedupe window still remembers the ids of the removed ones.
 */
export function messageId(host: string, log: string, firstSeq: number, repair = ''): string {
  const id = `${encodeToken(host)}.${encodeToken(log)}.${firstSeq}`;
  return repair === '' ? id : `${id}.r${repair}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The {@link SEQ_HEADER} value of a message holding seqs `first` to `last`. */
export const seqHeader = (first: number, last: number): string => `${first}-${last}`;

/** The payload of a message: its events' JSONL lines (`encodeEvent`), each ending in a newline. */
export const batchPayload = (lines: readonly string[]): Uint8Array =>
  encoder.encode(`${lines.join('\n')}\n`);

/** A shipped message read back. */
export interface ShippedBatch {
  readonly host: string;
  readonly log: string;
  readonly capture: string | undefined;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly events: readonly ToolflightEvent[];
  /** The JSONL lines as shipped (each without its newline). */
  readonly lines: readonly string[];
}

/** Parse `7-12`; undefined unless two positive safe integers in order. */
export function parseSeqHeader(value: string | undefined): [number, number] | undefined {
  const match = value === undefined ? null : /^([1-9][0-9]{0,15})-([1-9][0-9]{0,15})$/.exec(value);
  if (match === null) return undefined;
  const first = Number(match[1]);
  const last = Number(match[2]);
  return Number.isSafeInteger(last) && first <= last ? [first, last] : undefined;
}

/**
 * Read one stored message back: its subject under `prefix`, its seq header and payload. Throws a
 * `DecodeError` naming `where` (the stream and the message's stream seq) when the subject is not
 * a shipped one, the header is missing, a line is not an event, or the events are not the
 * consecutive seqs of the header, all of the subject's capture.
 */
export function decodeBatch(
  prefix: string,
  subject: string,
  seqHeader: string | undefined,
  payload: Uint8Array,
  where: { readonly source: string; readonly line: number },
): ShippedBatch {
  const from = parseSubject(prefix, subject);
  if (from === undefined) {
    throw new DecodeError(
      'invalid_event',
      `subject ${JSON.stringify(subject.slice(0, 200))} is not ${prefix}.<host>.<log>.<capture>`,
      where,
    );
  }
  const range = parseSeqHeader(seqHeader);
  if (range === undefined) {
    throw new DecodeError('invalid_event', `the message has no valid ${SEQ_HEADER} header`, where);
  }
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    throw new DecodeError('not_json', 'the message is not UTF-8', where);
  }
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : [text];
  const [firstSeq, lastSeq] = range;
  if (lines.length !== lastSeq - firstSeq + 1) {
    throw new DecodeError(
      'truncated',
      `the message holds ${lines.length} lines, and ${SEQ_HEADER} ${seqHeader} says ${lastSeq - firstSeq + 1}`,
      where,
    );
  }
  const events = lines.map((line, i) => {
    const event = decodeEvent(line, where);
    if (event.seq !== firstSeq + i) {
      throw new DecodeError(
        'invalid_event',
        `line ${i + 1} holds seq ${event.seq}, and ${SEQ_HEADER} ${seqHeader} says ${firstSeq + i}`,
        where,
      );
    }
    if (event.capture !== from.capture) {
      throw new DecodeError(
        'invalid_event',
        `seq ${event.seq} belongs to ${event.capture === undefined ? 'no capture' : `capture ${JSON.stringify(event.capture)}`}, not to the subject's`,
        where,
      );
    }
    return event;
  });
  return { ...from, firstSeq, lastSeq, events, lines };
}
