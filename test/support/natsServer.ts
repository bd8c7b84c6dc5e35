// A real `nats-server -js` on 127.0.0.1 for the fleet tests: a free port, a temp store folder,
// and the means to SIGKILL it and start it again on the same port and folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './freePort.js';

/** Where nats-server is: PATH, or Debian's package (`.ci/run` installs it). */
export const NATS_SERVER = process.env.NATS_SERVER ?? 'nats-server';

/** A running (or stopped, to be started again) nats-server. */
export interface NatsServer {
  /** `nats://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** The JetStream store folder (kept across restarts). */
  readonly storeDir: string;
  /** Kill it at once (SIGKILL by default) and wait for the exit. */
  readonly kill: (signal?: NodeJS.Signals) => Promise<void>;
  /** Start it again on the same port and store folder; resolves when it is ready. */
  readonly restart: () => Promise<void>;
  /** Stop it and remove the store folder. */
  readonly stop: () => Promise<void>;
  /** Whether the process runs now. */
  readonly running: () => boolean;
}

/** Options of {@link startNatsServer}. */
export interface NatsServerStart {
  /** Without `-js`: a server with no JetStream. */
  readonly jetstream?: boolean;
  /** Extra command-line arguments (e.g. `--user`, `--pass`). */
  readonly args?: readonly string[];
}

/** Start nats-server on 127.0.0.1 and resolve when it says it is ready (within 20 s). */
export async function startNatsServer(options: NatsServerStart = {}): Promise<NatsServer> {
  const probe = spawnSync(NATS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new Error(
      `the fleet tests need nats-server (Debian: apt-get install nats-server; .ci/run installs it): ${probe.error.message}`,
    );
  }
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'toolflight-nats-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const args = ['-a', '127.0.0.1', '-p', String(port), '--http_port', '0'];
    if (options.jetstream !== false) args.push('-js', '-sd', storeDir);
    args.push(...(options.args ?? []));
    const proc = spawn(NATS_SERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`nats-server did not get ready in 20 s:\n${log}`));
      }, 20_000);
      proc.stderr.on('data', (chunk: Buffer) => {
        if (log.length < 64_000) log += chunk.toString();
        if (log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${log}`));
      });
    });
    // Keep reading its log so a full pipe never stalls it.
    proc.stderr.resume();
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    kill,
    restart: start,
    stop: async () => {
      await kill('SIGTERM');
      rmSync(storeDir, { recursive: true, force: true });
    },
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
  };
}
