// @internal How a long-running CLI command learns that it should stop.

/**
 * Resolves with the signal's name on the first Ctrl-C (SIGINT) or SIGTERM, so that the command
 * can close cleanly; resolves with '' (and stops listening) when `cancel` aborts first.
 */
export function untilInterrupted(cancel?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      cancel?.removeEventListener('abort', cancelled);
      resolve(signal);
    };
    const cancelled = () => stop('');
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (cancel?.aborted) cancelled();
    else cancel?.addEventListener('abort', cancelled, { once: true });
  });
}
