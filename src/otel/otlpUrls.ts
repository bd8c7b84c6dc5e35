// @internal Where OTLP/HTTP export goes: the traces and metrics URLs of one endpoint, by the rule
// of OpenTelemetry's `OTEL_EXPORTER_OTLP_ENDPOINT`, and the same URLs fit to print.
import { ToolflightError } from '../errors.js';

/** @internal The URLs one OTLP/HTTP endpoint exports to. */
export interface OtlpUrls {
  readonly traces: string;
  readonly metrics: string;
  /** The endpoint as it may be printed: no user, password or query (they may hold a token). */
  readonly shown: string;
}

const SIGNAL_PATH = /\/v1\/(traces|metrics)$/;

/** A URL without what may carry a secret: its user, password, query and fragment. */
const shownUrl = (url: URL): string => `${url.origin}${url.pathname}`;

/**
 * @internal The traces and metrics URLs of `endpoint`, an http(s) URL. A base URL
 * (`http://localhost:4318`, or with a path prefix) gets `/v1/traces` and `/v1/metrics` appended,
 * as `OTEL_EXPORTER_OTLP_ENDPOINT` does; one that already ends in `/v1/traces` (or
 * `/v1/metrics`) is that signal's URL as given, and the other signal's path takes its place.
 * Throws a `ToolflightError` `invalid_argument` for anything else, without echoing a value that
 * may hold a credential.
 */
export function otlpUrls(endpoint: unknown): OtlpUrls {
  if (typeof endpoint !== 'string' || endpoint.trim() === '') {
    throw new ToolflightError(
      'invalid_argument',
      'the OTLP endpoint must be an http(s) URL, such as http://localhost:4318 (a collector’s OTLP/HTTP port)',
    );
  }
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    throw new ToolflightError(
      'invalid_argument',
      'the OTLP endpoint is not a URL: give an http(s) URL, such as http://localhost:4318',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ToolflightError(
      'invalid_argument',
      `the OTLP endpoint must be an http(s) URL (OTLP/HTTP), got a ${url.protocol} URL: for a collector on this machine, http://localhost:4318`,
    );
  }
  const path = url.pathname.replace(/\/+$/, '');
  const base = path.replace(SIGNAL_PATH, '');
  const at = (signal: 'traces' | 'metrics') => {
    const next = new URL(url.href);
    next.pathname = `${base}/v1/${signal}`;
    next.hash = '';
    return next.href;
  };
  return { traces: at('traces'), metrics: at('metrics'), shown: shownUrl(url) };
}
