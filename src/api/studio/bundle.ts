/**
 * The studio's browser code: bundled by esbuild from app/main.ts once per process in a source checkout (esbuild is
 * a dev dependency there), or read from the bundle `npm run build` wrote beside this module (the package ships no
 * esbuild). Nothing is fetched from a CDN: the studio works offline.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const STUDIO_ENTRY = fileURLToPath(new URL('./app/main.ts', import.meta.url));
export const PREBUILT_STUDIO = fileURLToPath(new URL('./app.js', import.meta.url));

let bundled: Promise<string> | undefined;

export function studioScript(): Promise<string> {
  bundled ??= existsSync(PREBUILT_STUDIO) ? readFile(PREBUILT_STUDIO, 'utf8') : bundleStudio();
  return bundled;
}

/** esbuild over the studio's TypeScript: one ES module, minified, for current browsers. */
export async function bundleStudio(): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [STUDIO_ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}
