// The inspector's permalink: the URL's fragment holds the cursor's seq and the selected event,
// so a reload or a colleague's browser opens the same view.
import { join } from 'node:path';

import { expect, it } from 'vitest';

import { createInspector } from '../../src/inspector/index.js';
import { chromiumSuite, waitForText } from './support.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'reused-key.jsonl');

const { cleanups, open } = chromiumSuite();

it('opens at the seq and selection of its fragment, keeps them across a reload, and follows scrubs and edits', async () => {
  const inspector = await createInspector({ recording: FIXTURE });
  cleanups.push(() => inspector.close());
  const page = await open(`${inspector.url}#seq=5&event=3`);
  await waitForText(page, '#seq', /^seq 5 \//);
  await waitForText(page, '#detail', /"seq": 3,/);
  expect(new URL(page.url()).hash).toBe('#seq=5&event=3');

  await page.reload();
  await waitForText(page, '#seq', /^seq 5 \//);
  await waitForText(page, '#detail', /"seq": 3,/);

  // A scrub writes the new place; the token stays in the query, never in the fragment.
  await page.locator('#scrubber').fill('7');
  await expect.poll(() => new URL(page.url()).hash).toBe('#seq=7&event=3');
  expect(new URL(page.url()).searchParams.get('token')).not.toBeNull();

  // An edited fragment moves the view; a seq the log does not hold leaves it where it is.
  await page.evaluate(() => (location.hash = '#seq=2'));
  await waitForText(page, '#seq', /^seq 2 \//);
  await page.evaluate(() => (location.hash = '#seq=99999&event=abc'));
  // Drawn again after the edit (the fragment is written back), still at seq 2.
  await expect.poll(() => new URL(page.url()).hash).toBe('#seq=2&event=3');
  await waitForText(page, '#seq', /^seq 2 \//);
}, 60_000);
