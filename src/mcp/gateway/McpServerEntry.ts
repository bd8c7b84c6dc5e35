// The servers of an `mcpServers` config, validated and kept as written: `${VAR}` placeholders
// unexpanded, so a config can be read, listed and fingerprinted without the secrets it names.

/** A stdio server's entry: the process to start, as written. */
export interface McpStdioServerEntry {
  /** The entry's key in `mcpServers`. */
  readonly name: string;
  readonly transport: 'stdio';
  readonly command: string;
  readonly args?: readonly string[];
  /** Added to the child's minimal default environment; values may hold `${VAR}`. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** A Streamable HTTP server's entry (`type` `"http"` or `"streamable-http"`, or a bare `url`). */
export interface McpHttpServerEntry {
  /** The entry's key in `mcpServers`. */
  readonly name: string;
  readonly transport: 'http';
  readonly url: string;
  /** Sent on every request; values may hold `${VAR}`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One validated `mcpServers` entry, its fields as written (see `parseMcpServers`). */
export type McpServerEntry = McpStdioServerEntry | McpHttpServerEntry;

/** A validated `mcpServers` config: the servers to serve, in the order written. */
export interface McpServersConfig {
  /** The enabled servers; an entry with `disabled: true` is not among them. */
  readonly servers: readonly McpServerEntry[];
  /** The names of the entries written with `disabled: true`, which nothing reads further. */
  readonly disabled: readonly string[];
}
