/// <reference lib="dom" />
// @internal The page's keyboard shortcuts: one table, from which both the keydown handler and
// the help dialog's list are made, so the two never disagree.
import { byId, esc } from './dom.js';

/** What a shortcut needs from the page beyond its buttons: the cursor. */
export interface ShortcutHost {
  /** Play stopped, out of live: fold `to(cursor, length)` events. */
  readonly seek: (to: (cursor: number, length: number) => number) => void;
}

/** One shortcut. */
interface Shortcut {
  /** The keys as `KeyboardEvent.key`; a named key held with Shift as `Shift+ArrowLeft`. */
  readonly keys: readonly string[];
  /** The keys as the help shows them. */
  readonly label: string;
  readonly description: string;
  readonly run: (host: ShortcutHost) => void;
}

/** Click the button with this id, if the page has it (a later view may not be there). */
const click = (id: string) => () => document.getElementById(id)?.click();

/** A big step: a tenth of the log, at least one event. */
const tenth = (length: number) => Math.max(1, Math.round(length / 10));

/** The shortcuts, in the order the help lists them. */
export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['ArrowLeft'], label: '←', description: 'previous event', run: click('step-back') },
  { keys: ['ArrowRight'], label: '→', description: 'next event', run: click('step-fwd') },
  {
    keys: ['Shift+ArrowLeft'],
    label: 'Shift + ←',
    description: 'back a tenth of the log',
    run: (host) => host.seek((cursor, length) => cursor - tenth(length)),
  },
  {
    keys: ['Shift+ArrowRight'],
    label: 'Shift + →',
    description: 'forward a tenth of the log',
    run: (host) => host.seek((cursor, length) => cursor + tenth(length)),
  },
  { keys: ['Home'], label: 'Home', description: 'the start', run: (host) => host.seek(() => 0) },
  {
    keys: ['End'],
    label: 'End',
    description: 'the last event (following live, when connected)',
    run: click('live'),
  },
  { keys: ['l'], label: 'l', description: 'follow live', run: click('live') },
  { keys: [' '], label: 'Space', description: 'play / pause', run: click('play') },
  { keys: ['n'], label: 'n', description: 'next failure', run: click('next-failure') },
  { keys: ['N'], label: 'Shift + n', description: 'previous failure', run: click('prev-failure') },
  { keys: ['/'], label: '/', description: 'search the timeline', run: focusSearch },
  { keys: ['?'], label: '?', description: 'show / hide this help', run: toggleHelp },
  {
    keys: ['Escape'],
    label: 'Esc',
    description: 'close this help, or leave the focused control',
    run: escape,
  },
];

/** The keys that still act while the help is open, or while typing in a field. */
const WHILE_HELP = new Set(['?', 'Escape']);
const WHILE_TYPING = new Set(['Escape']);

/** The help dialog, listing the table. */
const HELP = `<dialog id="help" role="dialog" aria-modal="true" aria-labelledby="help-title">
<div class="help-body"><h2 id="help-title">keyboard shortcuts</h2><table id="help-keys"><tbody>${SHORTCUTS.map(
  (s) => `<tr><td><kbd>${esc(s.label)}</kbd></td><td>${esc(s.description)}</td></tr>`,
).join('')}</tbody></table>
<p class="hint">Shortcuts wait while you type in a field; Esc leaves it.</p>
<button id="help-close" type="button">close</button></div></dialog>`;

/** Add the help dialog to `root` and answer the table's keys on the whole document. */
export function wireShortcuts(root: HTMLElement, host: ShortcutHost): void {
  root.insertAdjacentHTML('beforeend', HELP);
  const help = byId<HTMLDialogElement>('help');
  byId('help-open').addEventListener('click', toggleHelp);
  byId('help-close').addEventListener('click', () => help.close());
  // A click on the backdrop lands on the dialog itself, outside its body.
  help.addEventListener('click', (event) => {
    if (event.target === help) help.close();
  });
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const name = event.shiftKey && event.key.length > 1 ? `Shift+${event.key}` : event.key;
    const shortcut = SHORTCUTS.find((s) => s.keys.includes(name));
    if (!shortcut) return;
    if (help.open && !WHILE_HELP.has(name)) return;
    const target = event.target as HTMLElement;
    if (target.closest('input,select,textarea,[contenteditable]') && !WHILE_TYPING.has(name))
      return;
    event.preventDefault();
    shortcut.run(host);
  });
}

function toggleHelp(): void {
  const help = byId<HTMLDialogElement>('help');
  if (help.open) help.close();
  // Modal: the page behind is inert and focus moves to the dialog's first control.
  else help.showModal();
}

function focusSearch(): void {
  const search = byId<HTMLInputElement>('search');
  search.focus();
  search.select();
}

function escape(): void {
  const help = byId<HTMLDialogElement>('help');
  if (help.open) help.close();
  else if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
}
