/// <reference lib="dom" />
// @internal Recordings in and out of the page: the file input, drag-and-drop, export.
import { encodeEvent } from '../../events/codec.js';
import type { ToolflightEvent } from '../../events/types.js';
import { byId } from './dom.js';

/**
 * Hand dropped or chosen `.jsonl` files to `load`; on export, download what `exported()` gives:
 * the events the page holds, or the URL of the server's whole log when the page holds a window
 * of it (the browser saves it as it comes, the page never holds it).
 */
export function wireRecordingIo(
  load: (name: string, text: string) => void,
  exported: () => readonly ToolflightEvent[] | string,
): void {
  const read = (file: File | undefined) => {
    if (file) void file.text().then((text) => load(file.name, text));
  };
  byId<HTMLInputElement>('file').addEventListener('change', (event) =>
    read((event.target as HTMLInputElement).files?.[0]),
  );
  document.addEventListener('dragover', (event) => {
    event.preventDefault();
    document.body.classList.add('drop');
  });
  document.addEventListener('dragleave', () => document.body.classList.remove('drop'));
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    document.body.classList.remove('drop');
    read(event.dataTransfer?.files[0]);
  });
  byId('export').addEventListener('click', () => {
    const what = exported();
    const link = document.createElement('a');
    link.download = 'toolflight-stream.jsonl';
    if (typeof what === 'string') {
      link.href = what;
      return link.click();
    }
    const text = what.map((event) => `${encodeEvent(event)}\n`).join('');
    link.href = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
    link.click();
    // The download has started by the next task; the URL can go.
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
}
