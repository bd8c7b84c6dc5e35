/// <reference lib="dom" />
// @internal The page's colours come from CSS variables (pageCss.ts), dark or light as the
// system says; the canvas cannot use `var()`, so it reads them here when it draws.

/** The light scheme's media query; everything else is the dark palette. */
const LIGHT = '(prefers-color-scheme: light)';

/** The light scheme's query, asked once; whether it matches keys the colours read. */
let scheme: MediaQueryList | undefined;
/** The colours read under the scheme in force then: a draw reads them from here. */
const read = new Map<string, string>();
let readUnder: boolean | undefined;

/**
 * The value of the theme's `--name` variable (e.g. `#4fb3ff`), read once per scheme: reading
 * a computed style after the page's rows changed makes the browser recompute the styles of the
 * whole page there and then, and the chart and the waterfall draw on every move.
 */
export function themeColor(name: string): string {
  scheme ??= window.matchMedia(LIGHT);
  if (readUnder !== scheme.matches) {
    read.clear();
    readUnder = scheme.matches;
  }
  let value = read.get(name);
  if (value === undefined) {
    value = getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
    read.set(name, value);
  }
  return value;
}

/** Call `listener` whenever the system switches between the light and the dark scheme. */
export function onSchemeChange(listener: () => void): void {
  window.matchMedia(LIGHT).addEventListener('change', listener);
}
