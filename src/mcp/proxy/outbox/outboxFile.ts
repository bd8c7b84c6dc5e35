// @internal Whether the file at an outbox's path is still the one its connection writes to. An
// acknowledged write must be in the file the operator named: a file removed, moved away,
// replaced or overwritten under a running process leaves SQLite writing to a file (or an inode)
// nobody will open again, and every "queued" after that would be a lie.
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** The open outbox file's identity, checked against what its path names now. */
export interface OutboxFile {
  /** Undefined while the path names the file that was opened; else what happened to it. */
  readonly moved: () => string | undefined;
  /** Close the file's descriptor; only after the database closed (see `watchOutboxFile`). */
  readonly close: () => void;
}

const SQLITE_MAGIC = 'SQLite format 3\0';
const HEADER_BYTES = 72;

const sameFile = (a: Stats, b: Stats): boolean => a.dev === b.dev && a.ino === b.ino;

/**
 * Watch the outbox at `path`, just opened by SQLite. A read-only descriptor is held to read the
 * header the connection sees; it is closed only after the database, because closing any
 * descriptor of a file releases every POSIX lock the process holds on it, SQLite's included.
 */
export function watchOutboxFile(path: string, applicationId: number): OutboxFile {
  const fd = openSync(path, 'r');
  const opened = fstatSync(fd);
  const walPath = `${path}-wal`;
  const walOf = () => statSync(walPath, { throwIfNoEntry: false });
  // SQLite creates the log on the first read in WAL mode, and keeps that file while it is open.
  let wal = walOf();
  const header = Buffer.alloc(HEADER_BYTES);
  return {
    moved() {
      try {
        return check();
      } catch (error) {
        return `can no longer be checked (${(error as Error).message})`;
      }
    },
    close: () => closeSync(fd),
  };

  function check(): string | undefined {
    const now = statSync(path, { throwIfNoEntry: false });
    if (now === undefined) return 'was removed or moved away';
    if (!sameFile(now, opened)) return 'was replaced by another file';
    const read = readSync(fd, header, 0, HEADER_BYTES, 0);
    if (
      read < HEADER_BYTES ||
      header.toString('latin1', 0, 16) !== SQLITE_MAGIC ||
      header.readUInt32BE(68) !== applicationId
    ) {
      return 'was overwritten and no longer holds an outbox';
    }
    const log = walOf();
    if (log === undefined)
      return `lost its write-ahead log ${walPath}, which holds the latest writes`;
    wal ??= log;
    if (!sameFile(log, wal)) return `had its write-ahead log ${walPath} replaced`;
    return undefined;
  }
}
