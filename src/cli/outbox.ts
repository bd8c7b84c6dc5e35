// `toolflight outbox list|retry|drop FILE [KEY…]`: what a proxy's outbox holds, and an
// operator's actions on it.
import { maskText } from '../events/maskSecrets.js';
import { openOutbox, type DeadEntry, type Outbox, type PendingEntry } from '../mcp/index.js';
import type { CliIo, Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';

const USAGE = [
  'usage: toolflight outbox list FILE [--json]',
  '       toolflight outbox retry FILE KEY...',
  '       toolflight outbox drop FILE KEY...',
  '',
  '  list    pending entries and dead letters: key, tool, age, attempts, reason',
  '  retry   move dead letters back to pending (fresh attempts, same key); a pending key is due now',
  '  drop    remove entries, pending or dead, without delivering them',
  '  --json  one JSON object per entry and line',
  '',
  'A running proxy holds its outbox file: stop it first (or use proxy.outbox in its host).',
].join('\n');

/** How long to wait for a proxy that is starting or stopping to let go of the file. */
const BUSY_TIMEOUT_MS = 1000;

/** `3s`, `4m`, `2h`, `1d`. */
function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

function list(outbox: Outbox, io: CliIo, json: boolean, now: number): void {
  const rows = [
    ...outbox.pending().map((entry: PendingEntry) => ({
      state: 'pending',
      key: entry.key,
      tool: entry.tool,
      ageMs: now - entry.enqueuedAt,
      attempts: entry.attempts,
      // The upstream's own words: they may quote a credential. The key is shown: retry needs it.
      reason: entry.lastError === undefined ? undefined : maskText(entry.lastError),
    })),
    ...outbox.dead().map((entry: DeadEntry) => ({
      state: 'dead',
      key: entry.key,
      tool: entry.tool,
      ageMs: now - entry.enqueuedAt,
      attempts: entry.attempts,
      reason: maskText(entry.reason),
    })),
  ];
  // A reader that went away (`| head`) has all it wanted: stop formatting rows.
  const reading = () => io.stdoutClosed?.aborted !== true;
  if (json) {
    for (const row of rows) {
      if (!reading()) return;
      io.out(JSON.stringify(row));
    }
    return;
  }
  for (const row of rows) {
    if (!reading()) return;
    const reason = row.reason === undefined ? '' : `  ${row.reason}`;
    io.out(
      `${row.state.padEnd(8)}${row.key}  ${row.tool}  age ${age(row.ageMs)}  attempts ${row.attempts}${reason}`,
    );
  }
  const counts = outbox.counts();
  io.out(`${counts.pending} pending, ${counts.dead} dead`);
}

/**
 * Apply `act` to each key: it says what it did, or undefined for a key the file does not hold.
 * Those are named on stderr, and make the exit code 1; a failure of the file itself is thrown.
 */
function each(
  keys: readonly string[],
  io: CliIo,
  file: string,
  action: 'retry' | 'drop',
  act: (key: string) => string | undefined,
): number {
  const missed: string[] = [];
  for (const key of keys) {
    const done = act(key);
    if (done === undefined) missed.push(key);
    else io.out(done);
  }
  if (missed.length === 0) return 0;
  const names = missed.map((key) => JSON.stringify(key)).join(', ');
  const what = action === 'retry' ? 'not retried' : 'not dropped';
  io.err(
    `toolflight outbox: ${what}: ${names}: no pending or dead entry with ${missed.length === 1 ? 'that key' : 'those keys'} in ${file} (delivered, dropped or never queued); \`toolflight outbox list ${file}\` shows the keys it holds`,
  );
  return 1;
}

/** `toolflight outbox`: list, retry or drop entries of an outbox file. */
export const outbox: Command = (args, io) => {
  const parsed = parseCommandArgs('outbox', USAGE, io, {
    args: [...args],
    options: { json: { type: 'boolean' } },
    strict: true,
    allowPositionals: true,
  });
  if (typeof parsed === 'number') return Promise.resolve(parsed);
  const [action, file, ...keys] = parsed.positionals;
  const usage = (problem: string): Promise<number> => {
    io.err(`toolflight outbox: ${problem}\n${USAGE}`);
    return Promise.resolve(2);
  };
  if (action !== 'list' && action !== 'retry' && action !== 'drop') {
    return usage(
      action === undefined ? 'say list, retry or drop' : `unknown action ${JSON.stringify(action)}`,
    );
  }
  if (file === undefined) return usage('name the outbox FILE');
  if (action === 'list' && keys.length > 0) return usage('list takes no KEY');
  if (action !== 'list' && keys.length === 0) return usage(`${action} needs at least one KEY`);
  if (action !== 'list' && parsed.values.json === true) return usage('--json is for list');
  const store = openOutbox(file, { create: false, busyTimeoutMs: BUSY_TIMEOUT_MS });
  try {
    const now = Date.now();
    if (action === 'list') {
      list(store, io, parsed.values.json === true, now);
      return Promise.resolve(0);
    }
    if (action === 'retry') {
      return Promise.resolve(
        each(keys, io, file, action, (key) => {
          const retried = store.retry(key, now);
          if (retried === undefined) return undefined;
          const { tool } = retried.entry;
          return retried.kind === 'requeued'
            ? `re-queued ${key} (${tool})`
            : `${key} (${tool}) was pending already: due now`;
        }),
      );
    }
    return Promise.resolve(
      each(keys, io, file, action, (key) => {
        const dropped = store.drop(key);
        return dropped === undefined ? undefined : `dropped ${dropped} ${key}`;
      }),
    );
  } finally {
    store.close();
  }
};
