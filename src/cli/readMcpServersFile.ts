// @internal Reading a config file for the commands that take `--config FILE` (`gateway`,
// `inventory`): bounded, and every problem said in the file's terms.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

import type { McpServersConfig } from '../mcp/index.js';
import { parseMcpServers } from '../mcp/index.js';
import { MAX_CONFIG_BYTES } from '../mcp/gateway/mcpServersConfig.js';
import { configProblem } from '../mcp/gateway/readServerEntry.js';
import { openError } from '../store/fileErrors.js';

/**
 * Read and check an `mcpServers` file, reading at most 1 MiB of it. Throws a
 * `ToolflightError` whose message names the file (and the line and column of a JSON mistake,
 * the server and the field of a bad entry): every one is a problem with the file, for exit 2.
 */
export function readMcpServersFile(path: string): McpServersConfig {
  let fd: number;
  try {
    // Without blocking: opening a FIFO nobody writes to would stop the process before its
    // signal handlers could ever run (only SIGKILL would end it).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw openError(path, error, 'read the config');
  }
  let special: boolean;
  try {
    const stat = fstatSync(fd);
    // A folder fails the read below, in the words every command uses for it.
    special = !stat.isFile() && !stat.isDirectory();
  } catch (error) {
    closeSync(fd);
    throw openError(path, error, 'read the config');
  }
  if (special) {
    closeSync(fd);
    throw configProblem(
      path,
      'the config',
      'is not a regular file (a pipe, a socket or a device): give the path of the mcpServers JSON file',
    );
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let size: number;
  try {
    size = fstatSync(fd).size;
    // One byte past the limit is enough to know the file is over it (it may grow as it is read).
    const chunk = Buffer.alloc(64 * 1024);
    while (total <= MAX_CONFIG_BYTES) {
      const read = readSync(fd, chunk);
      if (read === 0) break;
      chunks.push(Buffer.from(chunk.subarray(0, read)));
      total += read;
    }
  } catch (error) {
    throw openError(path, error, 'read the config');
  } finally {
    closeSync(fd);
  }
  if (total > MAX_CONFIG_BYTES) {
    const what = size > MAX_CONFIG_BYTES ? `is ${size} bytes,` : 'grew while it was read to';
    throw configProblem(
      path,
      'the config',
      `${what} more than the ${MAX_CONFIG_BYTES} (1 MiB) read: is this the mcpServers file?`,
    );
  }
  return parseMcpServers(Buffer.concat(chunks), { source: path });
}
