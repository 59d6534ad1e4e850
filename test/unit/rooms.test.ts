/**
 * The rooms' import rules (docs/architecture.md), checked on the real sources with the TypeScript parser.
 * `import type` is always allowed; value imports are what reach runtime (and the workflow bundle).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(ROOT, dir, f);
    if (statSync(p).isDirectory()) return files(relative(ROOT, p));
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Value imports (and re-exports) of a file, as written. */
function valueImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  sf.forEachChild((node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly =
        clause?.isTypeOnly ||
        (clause &&
          !clause.name &&
          clause.namedBindings &&
          ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push((node.moduleSpecifier as ts.StringLiteral).text);
    }
    if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) out.push((node.moduleSpecifier as ts.StringLiteral).text);
  });
  const walk = (n: ts.Node) => {
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(n.arguments[0]!))
      out.push((n.arguments[0] as ts.StringLiteral).text);
    n.forEachChild(walk);
  };
  walk(sf);
  return out;
}

/** Resolves a relative specifier to a path relative to the repo root (e.g. "src/storyboard/plan.js"). */
const target = (file: string, spec: string) => (spec.startsWith('.') ? relative(ROOT, resolve(file, '..', spec)) : spec);

function violations(dir: string, allowed: (spec: string, resolved: string) => boolean): string[] {
  return files(dir).flatMap((f) =>
    valueImports(f)
      .filter((s) => !allowed(s, target(f, s)))
      .map((s) => `${relative(ROOT, f)} imports ${s}`),
  );
}

describe('rooms', () => {
  it('workflows value-import only @temporalio/workflow (and its @temporalio/common), each other and src/storyboard', () => {
    expect(
      violations(
        'workflows',
        (s, r) =>
          s === '@temporalio/workflow' || s === '@temporalio/common' || r.startsWith('workflows/') || r.startsWith('src/storyboard/'),
      ),
    ).toEqual([]);
  });

  it('src/storyboard is pure: no node:*, no Temporal, no I/O libraries', () => {
    const allowedPackages = ['zod', 'yaml', '@noble/hashes/sha2.js', '@noble/hashes/utils.js'];
    expect(violations('src/storyboard', (s, r) => allowedPackages.includes(s) || r.startsWith('src/storyboard/'))).toEqual([]);
  });

  it('providers, media and store never import Temporal', () => {
    for (const dir of ['src/providers', 'src/media', 'src/store']) {
      expect(violations(dir, (s) => !s.startsWith('@temporalio/'))).toEqual([]);
    }
  });

  it('only src/media/ffmpeg.ts imports fluent-ffmpeg', () => {
    const users = ['src', 'activities', 'workflows'].flatMap(files).filter((f) => valueImports(f).includes('fluent-ffmpeg'));
    expect(users.map((f) => relative(ROOT, f))).toEqual(['src/media/ffmpeg.ts']);
  });

  it('activities value-import no workflow code (only the shared message definitions)', () => {
    expect(violations('activities', (_s, r) => !r.startsWith('workflows/') || r === 'workflows/definitions.js')).toEqual([]);
  });

  it('only worker, client, cli, config and setup read process.env', () => {
    const readers = ['src', 'activities', 'workflows']
      .flatMap(files)
      .filter((f) => /process\.env/.test(readFileSync(f, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')))
      .map((f) => relative(ROOT, f))
      .filter((f) => !/^src\/(worker|client|config|setup)\.ts$|^src\/cli\//.test(f));
    // Binaries are resolved where they are used: FFMPEG_PATH/FFPROBE_PATH, and PATH for the Temporal CLI.
    expect(readers).toEqual(['src/media/probe.ts', 'src/temporal/dev-server.ts']);
  });
});
