// The inspector over a fleet: every host's log, as something else reads them (a NATS reader),
// merged into one by `fleetFeed` and shown in the page's fleet view until Ctrl-C.
import { messageOf } from '../errors.js';
import type { ToolflightEvent } from '../events/types.js';
import { createInspector, fleetFeed } from '../inspector/index.js';
import { announce } from './announce.js';
import type { CliIo } from './io.js';
import { untilInterrupted } from './untilInterrupted.js';

/** One event of one host's log, as a fleet reader yields it. */
export interface FleetEvent {
  readonly host: string;
  /** Which of the host's logs (a host may ship several). */
  readonly log: string;
  readonly event: ToolflightEvent;
}

/** Options of {@link inspectFleet}. */
export interface FleetInspectOptions {
  /**
   * The fleet's events, each source's in seq order. Called once; it must end (return or throw)
   * once `signal` aborts, or the command waits for it (a second Ctrl-C still kills the process).
   */
  readonly readEvents: (signal: AbortSignal) => AsyncIterable<FleetEvent>;
  /** What the page's header says it shows: the stream's URL, say. */
  readonly title: string;
  readonly port?: number;
  /** `127.0.0.1` (default), `localhost` or `::1`. */
  readonly host?: string;
  /** How many merged events the page's server keeps (`fleetFeed`'s `maxEvents`). */
  readonly maxEvents?: number;
}

/** Refused events printed one by one; past this many, only their count at the end. */
const PRINTED_REFUSALS = 20;

/**
 * Serve the inspector's fleet view over the events `readEvents` yields, until Ctrl-C (or
 * SIGTERM, or stdout closing); resolves to the exit code. An event the merged log refuses (out
 * of seq order for its source, a bad host name) is reported on stderr and skipped; a reader
 * that ends or fails is reported too, and what it read stays on the page.
 *
 * @example
 * await inspectFleet(io, { title: 'nats://fleet:4222', readEvents: (signal) => reader(signal) });
 */
export async function inspectFleet(io: CliIo, options: FleetInspectOptions): Promise<number> {
  const logger = { warn: (message: string) => io.err(`toolflight inspect: ${message}`) };
  const feed = fleetFeed({ maxEvents: options.maxEvents, logger });
  const inspector = await createInspector(
    { feed, title: options.title, fleet: true },
    { port: options.port, host: options.host, logger },
  );
  const reading = new AbortController();
  let refused = 0;
  const pump = async (): Promise<void> => {
    try {
      for await (const { host, log, event } of options.readEvents(reading.signal)) {
        if (reading.signal.aborted) break;
        try {
          feed.push(host, log, event);
        } catch (error) {
          refused += 1;
          if (refused <= PRINTED_REFUSALS) logger.warn(messageOf(error));
        }
      }
      if (!reading.signal.aborted) {
        logger.warn(
          `the fleet reader ended after ${feed.lastSeq()} events; the page keeps showing them (Ctrl-C to stop)`,
        );
      }
    } catch (error) {
      if (!reading.signal.aborted) {
        logger.warn(
          `reading the fleet failed after ${feed.lastSeq()} events: ${messageOf(error)}; the page keeps showing them (Ctrl-C to stop)`,
        );
      }
    }
  };
  // Listen before printing: whoever reads the URL may signal at once.
  const interrupted = untilInterrupted(io.stdoutClosed);
  const pumped = pump();
  announce(io, inspector, `the fleet at ${options.title}`);
  await interrupted;
  reading.abort();
  await pumped;
  if (refused > PRINTED_REFUSALS) {
    logger.warn(`${refused} events refused in all (the first ${PRINTED_REFUSALS} shown)`);
  }
  await inspector.close();
  return 0;
}
