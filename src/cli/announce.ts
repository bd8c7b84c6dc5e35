import type { Inspector } from '../inspector/index.js';
import type { CliIo } from './io.js';

/** Print where the inspector is, the way every command that starts one does. */
export function announce(io: CliIo, inspector: Inspector, what: string): void {
  io.out(`toolflight inspector: ${what}`);
  io.out(`open ${inspector.url}`);
  io.out('(the token in the URL is required; Ctrl-C to stop)');
}
