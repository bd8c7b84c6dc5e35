// @internal Reading a config file for the commands that take `--config FILE` (`gateway`,
// `inventory`): bounded, and every problem said in the file's terms.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

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
    fd = openSync(path, 'r');
  } catch (error) {
    throw openError(path, error, 'read the config');
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let size: number;
  try {
    size = fstatSync(fd).size;
    // One byte past the limit is enough to know the file is over it, whatever it is (a FIFO).
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
    const bytes = size > MAX_CONFIG_BYTES ? `${size} bytes` : 'larger than that';
    throw configProblem(
      path,
      'the config',
      `is ${bytes}, more than the ${MAX_CONFIG_BYTES} (1 MiB) read: is this the mcpServers file?`,
    );
  }
  return parseMcpServers(Buffer.concat(chunks), { source: path });
}
