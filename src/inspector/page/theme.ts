/// <reference lib="dom" />
// @internal The page's colours come from CSS variables (pageCss.ts), dark or light as the
// system says; the canvas cannot use `var()`, so it reads them here when it draws.

/** The light scheme's media query; everything else is the dark palette. */
const LIGHT = '(prefers-color-scheme: light)';

/** The value of the theme's `--name` variable at this moment (e.g. `#4fb3ff`). */
export function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
}

/** Call `listener` whenever the system switches between the light and the dark scheme. */
export function onSchemeChange(listener: () => void): void {
  window.matchMedia(LIGHT).addEventListener('change', listener);
}
