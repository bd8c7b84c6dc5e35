// The conformance server over stdio, for the proxy's stdio upstreams: `node --import tsx
// test/conformance/stdioUpstream.ts`. Stdout is the wire; nothing else may be printed there.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

import { createConformanceServer } from './conformanceServer.js';

await createConformanceServer().connect(new StdioServerTransport());
