/**
 * CONVENTIONS.md: "Lower folders never import higher ones; a cycle between folders is a design bug". This test
 * reads every file under src/ with the TypeScript compiler API and checks the graph of what runs at load time:
 * static imports and re-exports and dynamic `import('…')` (the CLI loads its commands' libraries that way, and a
 * dynamic import is still a dependency). `import type`, `export type` and imports whose every name is marked
 * `type` are left out: the compiler erases them, so they cannot make a module wait on another. Only relative
 * specifiers name a file of src/; packages are not part of the layering. The first cases run the same analysis
 * on a small tree written for them, so a broken parser or cycle finder fails here instead of passing quietly.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** One runtime dependency: `from` loads `to` (paths relative to the root, with `/`). */
interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function everyNameIsType(bindings: ts.NamedImportBindings | ts.NamedExportBindings | undefined): boolean {
  if (bindings === undefined || !('elements' in bindings) || bindings.elements.length === 0) return false;
  return bindings.elements.every((element) => element.isTypeOnly);
}

/** The module specifiers `text` loads at run time, in order of appearance. */
function runtimeSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && everyNameIsType(clause.namedBindings)));
      if (!typeOnly) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly && !everyNameIsType(node.exportClause)) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      // A computed specifier names a package chosen at run time (the TensorFlow.js backend), never a file of src/.
      const [argument] = node.arguments;
      if (argument !== undefined && ts.isStringLiteralLike(argument)) specifiers.push(argument.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** The file a relative specifier names: `./x.js` is `./x.ts` under NodeNext; JSON and other files keep their name. */
function resolveSpecifier(fromFile: string, specifier: string): string {
  const target = resolve(dirname(fromFile), specifier);
  const typescriptSource = target.replace(/\.js$/, '.ts');
  if (typescriptSource !== target && existsSync(typescriptSource)) return typescriptSource;
  if (existsSync(target)) return target;
  throw new Error(`${fromFile}: cannot resolve "${specifier}" (the layering check would miss this dependency)`);
}

function importEdges(root: string): ImportEdge[] {
  const toKey = (path: string) => relative(root, path).split(sep).join('/');
  return sourceFiles(root).flatMap((file) =>
    runtimeSpecifiers(file, readFileSync(file, 'utf8'))
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolveSpecifier(file, specifier))
      .filter((target) => !relative(root, target).startsWith('..'))
      .map((target) => ({ from: toKey(file), to: toKey(target) })),
  );
}

/** The top-level folder of a path relative to the root (`cli` for `cli/main.ts`; `.` for a file at the root). */
function folderOf(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? '.' : path.slice(0, slash);
}

/** Strongly connected sets of more than one node (Tarjan), each sorted, in a stable order. */
function cycles(nodes: Iterable<string>, successors: (node: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of successors(node)) {
      if (!index.has(next)) {
        connect(next);
        lowLink.set(node, Math.min(lowLink.get(node)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node)!, index.get(next)!));
      }
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const members: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      members.push(member);
    } while (member !== node);
    if (members.length > 1) found.push(members.sort());
  };
  for (const node of [...nodes].sort()) if (!index.has(node)) connect(node);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One line per folder cycle: its edges, each with one file that makes it (`a → b (a/x.ts imports b/y.ts)`). */
function folderCycles(edges: readonly ImportEdge[]): string[] {
  const example = new Map<string, ImportEdge>();
  for (const edge of edges) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    if (from !== to && !example.has(`${from}\u0000${to}`)) example.set(`${from}\u0000${to}`, edge);
  }
  const pairs = [...example.keys()].map((key) => key.split('\u0000') as [string, string]);
  const successors = (folder: string) => pairs.filter(([from]) => from === folder).map(([, to]) => to);
  return cycles(new Set(pairs.flat()), successors).map((members) => {
    const inside = pairs.filter(([from, to]) => members.includes(from) && members.includes(to)).sort((a, b) => a.join().localeCompare(b.join()));
    const described = inside.map(([from, to]) => {
      const edge = example.get(`${from}\u0000${to}`)!;
      return `${from} → ${to} (${edge.from} imports ${edge.to})`;
    });
    return `{${members.join(', ')}}: ${described.join('; ')}`;
  });
}

/** One line per cycle of files inside one top-level folder: the files' imports of each other. */
function fileCycles(edges: readonly ImportEdge[]): string[] {
  const inside = edges.filter((edge) => folderOf(edge.from) === folderOf(edge.to));
  const successors = (file: string) => inside.filter((edge) => edge.from === file).map((edge) => edge.to);
  return cycles(new Set(inside.flatMap((edge) => [edge.from, edge.to])), successors).map((members) => {
    const described = inside.filter((edge) => members.includes(edge.from) && members.includes(edge.to)).map((edge) => `${edge.from} → ${edge.to}`);
    return `{${members.join(', ')}}: ${[...new Set(described)].sort().join('; ')}`;
  });
}

describe('the layering check itself', () => {
  const root = mkdtempSync(join(tmpdir(), 'tributary-import-layers-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('low/base.ts', "import type { Top } from '../top/entry.js';\nexport type { Top } from '../top/entry.js';\nimport { type Other } from '../top/other.js';\nexport const base = 1;\n");
  write('low/uses-mid.ts', "export { mid } from '../mid/middle.js';\n");
  write('mid/middle.ts', "import { base } from '../low/base.js';\nexport const mid = base + 1;\nexport async function later() {\n  return import('../top/entry.js');\n}\n");
  write('top/entry.ts', "import { mid } from '../mid/middle.js';\nimport schema from './data.json' with { type: 'json' };\nimport 'node:fs';\nexport type Top = typeof mid;\nexport const data = schema;\n");
  write('top/other.ts', "import './entry.js';\nexport type Other = number;\n");
  write('top/data.json', '{}\n');
  write('ring/a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
  write('ring/b.ts', "import { a } from './sub/c.js';\nexport const b = () => a;\n");
  write('ring/sub/c.ts', "export { a } from '../a.js';\n");

  it('reads static imports, re-exports, side-effect and dynamic imports, and skips the type-only ones', () => {
    expect(importEdges(root).sort((x, y) => `${x.from}${x.to}`.localeCompare(`${y.from}${y.to}`))).toEqual([
      { from: 'low/uses-mid.ts', to: 'mid/middle.ts' },
      { from: 'mid/middle.ts', to: 'low/base.ts' },
      { from: 'mid/middle.ts', to: 'top/entry.ts' },
      { from: 'ring/a.ts', to: 'ring/b.ts' },
      { from: 'ring/b.ts', to: 'ring/sub/c.ts' },
      { from: 'ring/sub/c.ts', to: 'ring/a.ts' },
      { from: 'top/entry.ts', to: 'mid/middle.ts' },
      { from: 'top/entry.ts', to: 'top/data.json' },
      { from: 'top/other.ts', to: 'top/entry.ts' },
    ]);
  });

  it('names each folder cycle with its edges and one file per edge', () => {
    expect(folderCycles(importEdges(root))).toEqual([
      '{low, mid, top}: low → mid (low/uses-mid.ts imports mid/middle.ts); mid → low (mid/middle.ts imports low/base.ts); mid → top (mid/middle.ts imports top/entry.ts); top → mid (top/entry.ts imports mid/middle.ts)',
    ]);
  });

  it('names each cycle of files inside a folder, subfolders included', () => {
    expect(fileCycles(importEdges(root))).toEqual(['{ring/a.ts, ring/b.ts, ring/sub/c.ts}: ring/a.ts → ring/b.ts; ring/b.ts → ring/sub/c.ts; ring/sub/c.ts → ring/a.ts']);
  });

  it('refuses a relative import it cannot resolve rather than missing a dependency', () => {
    write('broken/x.ts', "import { y } from './missing.js';\n");
    expect(() => importEdges(root)).toThrow(/cannot resolve "\.\/missing\.js"/);
    rmSync(join(root, 'broken'), { recursive: true });
  });
});

describe('src/ import layers', () => {
  const edges = importEdges(SRC);

  it('sees the dependencies it is meant to check (the CLI loading the worker, a folder importing its own files)', () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges.some((edge) => folderOf(edge.from) === 'cli' && folderOf(edge.to) === 'worker')).toBe(true);
  });

  it('has no cycle between folders', () => {
    expect(folderCycles(edges)).toEqual([]);
  });

  it('has no cycle between files inside a folder', () => {
    expect(fileCycles(edges)).toEqual([]);
  });
});
