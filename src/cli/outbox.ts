// `toolflight outbox list|retry|drop FILE [KEY…]`: what a proxy's outbox holds, and an
// operator's actions on it.
import { openOutbox, type DeadEntry, type Outbox, type PendingEntry } from '../mcp/index.js';
import type { CliIo, Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';

const USAGE = [
  'usage: toolflight outbox list FILE [--json]',
  '       toolflight outbox retry FILE KEY...',
  '       toolflight outbox drop FILE KEY...',
  '',
  '  list    pending entries and dead letters: key, tool, age, attempts, reason',
  '  retry   move dead letters back to pending (fresh attempts, same key)',
  '  drop    remove entries, pending or dead, without delivering them',
  '  --json  one JSON object per entry and line',
].join('\n');

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
      reason: entry.lastError,
    })),
    ...outbox.dead().map((entry: DeadEntry) => ({
      state: 'dead',
      key: entry.key,
      tool: entry.tool,
      ageMs: now - entry.enqueuedAt,
      attempts: entry.attempts,
      reason: entry.reason,
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

/** Apply `act` to each key; unknown keys are reported and make the exit code 1. */
function each(keys: readonly string[], io: CliIo, act: (key: string) => string): number {
  let code = 0;
  for (const key of keys) {
    try {
      io.out(act(key));
    } catch (error) {
      io.err(`toolflight outbox: ${(error as Error).message}`);
      code = 1;
    }
  }
  return code;
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
  const store = openOutbox(file, { create: false });
  try {
    const now = Date.now();
    if (action === 'list') {
      list(store, io, parsed.values.json === true, now);
      return Promise.resolve(0);
    }
    if (action === 'retry') {
      const dead = new Set(store.dead().map((entry) => entry.key));
      return Promise.resolve(
        each(keys, io, (key) => {
          const entry = store.retry(key, now);
          return dead.has(key)
            ? `re-queued ${key} (${entry.tool})`
            : `${key} (${entry.tool}) was pending already: due now`;
        }),
      );
    }
    return Promise.resolve(each(keys, io, (key) => `dropped ${store.drop(key)} ${key}`));
  } finally {
    store.close();
  }
};
