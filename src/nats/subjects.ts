// Subjects of a shipped log: `<prefix>.<host>.<log>.<capture>`, each part one subject token.
import { ToolflightError } from '../errors.js';

/** The token of an event without a capture (`log.gap`, session notes): never an encoded key. */
export const NO_CAPTURE_TOKEN = '~';
/** The token of the empty capture key: never an encoded key either. */
const EMPTY_TOKEN = '~~';
/** Characters kept as they are; every other UTF-8 byte is written `~XX` (hex). */
const PLAIN = /^[A-Za-z0-9_-]$/;
const ESCAPED = /~([0-9A-F]{2})/g;
/** A token as `encodeToken` writes it (or one of the two special tokens). */
const ENCODED = /^(?:[A-Za-z0-9_-]|~[0-9A-F]{2})+$/;
/** A subject prefix: dot-separated tokens of safe characters. */
const PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
/** The longest host name and log id taken, in characters. */
export const MAX_HOST = 128;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Write any string as one NATS subject token: letters, digits, `_` and `-` stay; every other
 * UTF-8 byte becomes `~XX`. Reversible (`decodeToken`), and readable for the usual keys
 * (`run-1` stays `run-1`).
 */
export function encodeToken(value: string): string {
  if (value === '') return EMPTY_TOKEN;
  let out = '';
  for (const char of value) {
    if (PLAIN.test(char)) {
      out += char;
      continue;
    }
    for (const byte of encoder.encode(char)) {
      out += `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** The string `encodeToken` wrote, or undefined for a token it could not have written. */
export function decodeToken(token: string): string | undefined {
  if (token === EMPTY_TOKEN) return '';
  if (!ENCODED.test(token)) return undefined;
  if (!token.includes('~')) return token;
  const bytes: number[] = [];
  let plain = '';
  const flush = (): string => {
    if (bytes.length === 0) return '';
    const text = decoder.decode(new Uint8Array(bytes));
    bytes.length = 0;
    return text;
  };
  let last = 0;
  try {
    for (const match of token.matchAll(ESCAPED)) {
      const before = token.slice(last, match.index);
      if (before !== '') plain += flush() + before;
      bytes.push(parseInt(match[1]!, 16));
      last = match.index + match[0].length;
    }
    plain += flush() + token.slice(last);
  } catch {
    return undefined; // not UTF-8
  }
  // Only the canonical form: `~41` for `A` would name the same key twice.
  return encodeToken(plain) === token ? plain : undefined;
}

/** Where a shipped message came from, read off its subject. */
export interface ShippedSubject {
  readonly host: string;
  readonly log: string;
  /** Undefined for events without a capture. */
  readonly capture: string | undefined;
}

/** Throws `invalid_argument` unless `prefix` is dot-separated tokens of `A-Za-z0-9_-`. */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix) || prefix.length > 200) {
    throw new ToolflightError(
      'invalid_argument',
      `the subject prefix must be dot-separated tokens of letters, digits, _ and - (like "toolflight"), got ${JSON.stringify(String(prefix).slice(0, 60))}`,
    );
  }
  return prefix;
}

/** A host name or log id: what a machine's name or an address is made of. */
const NAME = /^[A-Za-z0-9._:@-]+$/;

/**
 * Throws `invalid_argument` unless `value` is a usable host name or log id: 1 to 128 letters,
 * digits, `.`, `_`, `:`, `@` or `-` (so that it reads as it is in a merged log's names).
 */
export function checkName(what: 'host' | 'log', value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_HOST || !NAME.test(value)) {
    throw new ToolflightError(
      'invalid_argument',
      `the ${what} must be 1 to ${MAX_HOST} letters, digits, '.', '_', ':', '@' or '-', got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : typeof value}`,
    );
  }
  return value;
}

/** The subject of one capture's events in one host's log. */
export function eventSubject(
  prefix: string,
  host: string,
  log: string,
  capture: string | undefined,
): string {
  const last = capture === undefined ? NO_CAPTURE_TOKEN : encodeToken(capture);
  return `${prefix}.${encodeToken(host)}.${encodeToken(log)}.${last}`;
}

/** What to read: every host, one host, one log of a host, one capture on any host. */
export interface SubjectFilter {
  readonly host?: string;
  readonly log?: string;
  readonly capture?: string;
}

/** The subject filter that selects `filter` under `prefix` (wildcards for what is not given). */
export function filterSubject(prefix: string, filter: SubjectFilter = {}): string {
  const host = filter.host === undefined ? '*' : encodeToken(filter.host);
  const log = filter.log === undefined ? '*' : encodeToken(filter.log);
  const capture = filter.capture === undefined ? '*' : encodeToken(filter.capture);
  return `${prefix}.${host}.${log}.${capture}`;
}

/** The parts of a shipped subject under `prefix`, or undefined when it is not one. */
export function parseSubject(prefix: string, subject: string): ShippedSubject | undefined {
  if (!subject.startsWith(`${prefix}.`)) return undefined;
  const parts = subject.slice(prefix.length + 1).split('.');
  if (parts.length !== 3) return undefined;
  const host = decodeToken(parts[0]!);
  const log = decodeToken(parts[1]!);
  const capture = parts[2] === NO_CAPTURE_TOKEN ? undefined : decodeToken(parts[2]!);
  if (host === undefined || host === '' || log === undefined || log === '') return undefined;
  if (capture === undefined && parts[2] !== NO_CAPTURE_TOKEN) return undefined;
  return { host, log, capture };
}
