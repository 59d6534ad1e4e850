/**
 * The studio in a real browser: Debian's Chromium, headless, driven by playwright-core (no browser download), against
 * a real `storyreel serve --worker` process. Sign in, see the productions, open one waiting for review, see its
 * thumbnails, reject a take with a note, watch the new take arrive over the event stream, approve it, see the
 * production complete and play it; then a batch page. Screenshots of each page go to a temp dir, or to
 * docs/studio/ with STORYREEL_UPDATE_SCREENSHOTS=1 (the ones docs/studio.md shows).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from '../../src/setup.js';
import { tempDir } from '../helpers/files.js';
import { startApiServer, until, type ApiServer } from '../helpers/api-server.js';

let api: ApiServer;
let browser: BrowserContext;
let shots: string;

const storyboard = {
  title: 'Harbour at Dawn',
  defaults: { provider: 'local', size: '640x360', fps: 12, seconds: 1 },
  providers: { local: { pollIntervalMs: 50 } },
  review: { scenes: ['boat'] },
  scenes: [
    { id: 'harbour', title: 'The harbour', prompt: 'a quiet harbour at dawn, fishing boats at their moorings' },
    { id: 'boat', title: 'The red boat', prompt: 'a red fishing boat leaves the harbour', continuity: 'chain' },
  ],
};

beforeAll(async () => {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath))
    throw new Error(`no Chromium at ${executablePath}: run npm run setup -- --browser (or apt-get install chromium)`);
  api = await startApiServer();
  shots = process.env.STORYREEL_UPDATE_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs/studio') : join(api.work, 'shots');
  await mkdir(shots, { recursive: true });
  browser = await chromium.launchPersistentContext(await tempDir('storyreel-chromium-'), {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    // The studio's CSP forbids eval, which Playwright's own polling checks use; the page itself runs under it.
    bypassCSP: true,
  });
});

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

/** The little of the DOM the checks below read (the test is compiled without DOM types; the functions run in the page). */
interface PageDocument {
  querySelector(s: string): { textContent: string | null; readyState?: number; duration?: number } | null;
  querySelectorAll(s: string): ArrayLike<{ complete: boolean; naturalWidth: number }>;
}
type PageGlobal = { document: PageDocument };

const imagesLoaded = (page: Page, selector: string) =>
  page.waitForFunction((sel) => {
    const imgs = Array.from((globalThis as unknown as PageGlobal).document.querySelectorAll(sel));
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, selector);

const textOf = (page: Page, selector: string, text: string, timeout = 30_000) =>
  page.waitForFunction(
    ([sel, t]) => !!(globalThis as unknown as PageGlobal).document.querySelector(sel)?.textContent?.includes(t),
    [selector, text] as const,
    { timeout },
  );

describe('the studio in Chromium', () => {
  it('reviews a production from thumbnails to the finished video, and shows a batch', async () => {
    const created = await api.call('POST', '/v1/productions', { body: storyboard });
    const id = created.body.productionId as string;
    await until('boat in review', async () =>
      (await api.call('GET', `/v1/productions/${id}`)).body.scenes[1].state === 'awaiting_review' ? true : undefined,
    );

    const page = await browser.newPage();
    await page.goto(`${api.url}/studio/`);
    await page.fill('#login input[name=key]', api.keys.write);
    await page.click('#login button');
    await page.waitForSelector(`#productions tr[data-production="${id}"]`);
    expect(await page.textContent(`#productions tr[data-production="${id}"]`)).toContain('waiting for operator');
    await page.screenshot({ path: join(shots, 'productions.png'), fullPage: true });

    await page.goto(`${api.url}/studio/#/p/${id}`);
    const review = 'article[data-scene="boat"][data-state="awaiting_review"][data-take="1"]';
    await page.waitForSelector(review);
    await imagesLoaded(page, 'article img.frame');
    expect(await page.locator('article img.frame').count()).toBe(4);
    await page.screenshot({ path: join(shots, 'production-review.png'), fullPage: true });

    await page.fill(`${review} textarea.note`, 'the boat should be bluer');
    await page.click(`${review} button.reject`);
    // the new take arrives through the event stream, without a reload
    const take2 = 'article[data-scene="boat"][data-state="awaiting_review"][data-take="2"]';
    await page.waitForSelector(take2, { timeout: 60_000 });
    expect(await page.textContent(take2)).toContain('the boat should be bluer');
    await imagesLoaded(page, `${take2} img.frame`);
    await page.click(`${take2} button.approve`);
    await textOf(page, '#production-state', 'completed', 60_000);
    await page.click('#play-final');
    // the final video loads in the page's player (two one-second scenes)
    await page.waitForFunction(
      `(() => { const v = document.querySelector('#player'); return !!v && v.readyState >= 1 && v.duration > 1.5; })()`,
    );
    await page.screenshot({ path: join(shots, 'production-completed.png'), fullPage: true });
    await textOf(page, '#events', 'production.completed');
    expect(await page.textContent('#events')).toContain('scene.needs_review boat (take 2)');

    const batch = await api.call('POST', '/v1/batches', {
      body: {
        batch: 'studio-batch',
        items: [
          { id: 'first', storyboard: { ...storyboard, title: 'Batch item one', review: undefined } },
          { id: 'second', storyboard: { ...storyboard, title: 'Batch item two', review: undefined } },
        ],
      },
    });
    expect(batch.status).toBe(201);
    await until(
      'batch done',
      async () => ((await api.call('GET', '/v1/batches/studio-batch')).body.state === 'completed' ? true : undefined),
      90_000,
    );
    await page.goto(`${api.url}/studio/#/b/studio-batch`);
    await page.waitForSelector('#batch-items tbody tr');
    expect(await page.locator('#batch-items tbody tr').count()).toBe(2);
    await page.screenshot({ path: join(shots, 'batch.png'), fullPage: true });
  });
});
