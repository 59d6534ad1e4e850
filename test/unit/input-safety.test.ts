/**
 * Untrusted input (issue 11, items 11 and 16): a storyboard names only files in its own folder unless allowed, a
 * base URL carries no credentials or query, and a production's identity covers every file the storyboard names.
 */
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStoryboard, planFile } from '../../src/load/load-storyboard.js';
import { catalog } from '../../src/providers/catalog.js';
import { StoryboardError } from '../../src/storyboard/errors.js';
import { validateStoryboard } from '../../src/storyboard/parse.js';
import { tempDir, writeStoryboard } from '../helpers/files.js';

const REFS = resolve(import.meta.dirname, '../../examples/refs');

const withReference = (ref: string) => ({
  title: 'Confined',
  characters: [{ id: 'mara', name: 'Mara', description: 'a keeper', references: [ref] }],
  scenes: [{ id: 's', prompt: 'Mara at the window', characters: ['mara'] }],
});

async function issuesOf(p: Promise<unknown>): Promise<{ path: string; message: string }[]> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoryboardError);
  return [...(err as StoryboardError).issues];
}

describe('asset paths stay inside the storyboard folder', () => {
  it('refuses ../ and absolute paths, naming the field and the flag that allows it', async () => {
    const root = await tempDir();
    const dir = join(root, 'story');
    await mkdir(dir);
    await copyFile(join(REFS, 'mara.png'), join(root, 'outside.png'));
    for (const ref of ['../outside.png', join(root, 'outside.png')]) {
      const file = await writeStoryboard(dir, withReference(ref));
      const issues = await issuesOf(loadStoryboard(file));
      expect(issues).toEqual([
        { path: 'characters[0].references[0]', message: expect.stringMatching(/outside the storyboard's folder.*--allow-outside-assets/) },
      ]);
      const loaded = await loadStoryboard(file, { allowAssetsOutside: true });
      expect(loaded.assets[ref]?.width).toBe(640);
    }
  });

  it('refuses a symlink inside the folder that points outside it', async () => {
    const root = await tempDir();
    const dir = join(root, 'story');
    await mkdir(dir);
    await copyFile(join(REFS, 'mara.png'), join(root, 'secret.png'));
    await symlink(join(root, 'secret.png'), join(dir, 'innocent.png'));
    const file = await writeStoryboard(dir, withReference('innocent.png'));
    const issues = await issuesOf(loadStoryboard(file));
    expect(issues[0]?.message).toMatch(/outside the storyboard's folder/);
  });

  it('accepts files in the folder and its subfolders', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'refs'));
    await copyFile(join(REFS, 'mara.png'), join(dir, 'refs', 'mara.png'));
    const loaded = await loadStoryboard(await writeStoryboard(dir, withReference('refs/mara.png')));
    expect(loaded.assets['refs/mara.png']?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('base URLs carry no secrets', () => {
  const sb = (baseURL: string) => ({
    title: 'Gateway',
    defaults: { provider: 'openai-videos' },
    providers: { 'openai-videos': { baseURL } },
    scenes: [{ id: 's', prompt: 'x' }],
  });
  it.each([
    ['https://user:sk-123@gateway.example/v1', /must not contain credentials/],
    ['https://gateway.example/v1?api_key=sk-123', /must not contain a query string/],
    ['https://gateway.example/v1#sk-123', /must not contain a query string or fragment/],
  ])('%s is refused', (url, message) => {
    let issues: { path: string; message: string }[] = [];
    try {
      validateStoryboard(sb(url), 'sb.yaml');
    } catch (err) {
      issues = [...(err as StoryboardError).issues];
    }
    expect(issues).toContainEqual({ path: 'providers.openai-videos.baseURL', message: expect.stringMatching(message) });
    expect(JSON.stringify(issues)).not.toContain('sk-123');
  });

  it('a plain gateway URL is fine', () => {
    expect(() => validateStoryboard(sb('https://gateway.example/v1'), 'sb.yaml')).not.toThrow();
  });
});

describe("a production's identity covers every file it names", () => {
  it('editing a referenced image changes the default production id; the storyboard bytes alone do not decide it', async () => {
    const dir = await tempDir();
    await copyFile(join(REFS, 'mara.png'), join(dir, 'ref.png'));
    const file = await writeStoryboard(dir, withReference('ref.png'));
    const before = (await planFile(file, { catalog })).plan;
    await copyFile(join(REFS, 'lighthouse.png'), join(dir, 'ref.png'));
    const after = (await planFile(file, { catalog })).plan;
    expect(after.storyboardSha256).toBe(before.storyboardSha256);
    expect(after.contentSha256).not.toBe(before.contentSha256);
    expect(after.productionId).not.toBe(before.productionId);
  });
});

describe('size ceilings with clear errors', () => {
  it('a storyboard with more scenes than a production can carry names the limit and the way out', async () => {
    const dir = await tempDir();
    const scenes = Array.from({ length: 501 }, (_, i) => ({ id: `s${i}`, prompt: `shot ${i}` }));
    const issues = await issuesOf(loadStoryboard(await writeStoryboard(dir, { title: 'Long', scenes })));
    expect(issues).toEqual([{ path: 'scenes', message: expect.stringMatching(/at most 500 scenes.*as a batch/) }]);
  });

  it('an oversized storyboard file is refused before it is read', async () => {
    const dir = await tempDir();
    const file = await writeStoryboard(dir, { title: 'Big', description: 'x'.repeat(2_100_000), scenes: [{ id: 's', prompt: 'x' }] });
    const issues = await issuesOf(loadStoryboard(file));
    expect(issues[0]?.message).toMatch(/the file is 2\.1 MB; a storyboard may be at most 2 MB/);
  });

  it('a directory instead of a file says so', async () => {
    const issues = await issuesOf(loadStoryboard(await tempDir()));
    expect(issues[0]?.message).toMatch(/is a directory/);
  });
});
