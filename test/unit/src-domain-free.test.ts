/**
 * src/ is the generic platform; the fraud pipeline is an example (examples/fraud). So nothing in
 * src/ names the fraud domain — the words fraud, card, merchant and chargeback, as words or the
 * start of one (`card_hash`, `Chargebacks`; `--discard-state` is not "card") — except in a comment
 * that points at examples/fraud. And nothing in src/ depends on an example: no import, re-export
 * or `new URL(…, import.meta.url)` of src/ reaches into examples/. The first cases run the checks
 * on text written for them, so a broken comment reader fails here instead of passing quietly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');
const EXAMPLES = join(ROOT, 'examples');

const DOMAIN_WORD = /\b(fraud|card|merchant|chargeback)/gi;
const POINTER = 'examples/fraud';

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every comment of a TypeScript text, as [start, end) ranges, each once. */
function commentRanges(fileName: string, text: string): ts.CommentRange[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const ranges = new Map<number, ts.CommentRange>();
  const collect = (found: ts.CommentRange[] | undefined) => found?.forEach((range) => ranges.set(range.pos, range));
  const visit = (node: ts.Node): void => {
    collect(ts.getLeadingCommentRanges(text, node.getFullStart()));
    collect(ts.getTrailingCommentRanges(text, node.getEnd()));
    node.getChildren(source).forEach(visit);
  };
  visit(source);
  return [...ranges.values()].sort((a, b) => a.pos - b.pos);
}

const lineAt = (text: string, offset: number): number => text.slice(0, offset).split('\n').length;

/** `file:line: "word" …` for each domain word outside a comment that points at examples/fraud. */
function domainWords(file: string, text: string): string[] {
  const found: { offset: number; line: string }[] = [];
  const report = (offset: number, word: string, where: string) => found.push({ offset, line: `${file}:${lineAt(text, offset)}: "${word}" ${where}` });
  if (!file.endsWith('.ts')) {
    for (const match of text.matchAll(DOMAIN_WORD)) report(match.index, match[0], 'in a file that has no comments');
    return found.map(({ line }) => line);
  }
  // Parsing is the slow part, and most files have no domain word at all.
  if (!DOMAIN_WORD.test(text)) return [];
  DOMAIN_WORD.lastIndex = 0;
  const comments = commentRanges(file, text);
  let code = text;
  for (const { pos, end } of comments) {
    const comment = text.slice(pos, end);
    if (!comment.includes(POINTER)) for (const match of comment.matchAll(DOMAIN_WORD)) report(pos + match.index, match[0], `in a comment that does not point at ${POINTER}`);
    code = code.slice(0, pos) + ' '.repeat(end - pos) + code.slice(end);
  }
  for (const match of code.matchAll(DOMAIN_WORD)) report(match.index, match[0], 'in code');
  return found.sort((a, b) => a.offset - b.offset).map(({ line }) => line);
}

/** Relative specifiers of imports and re-exports (type-only ones too: they still name the file) and of `new URL(…, import.meta.url)`. */
function referencedPaths(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) found.push(node.arguments[0].text);
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) found.push(node.argument.literal.text);
    if (ts.isNewExpression(node) && node.expression.getText(source) === 'URL' && node.arguments?.[0] && ts.isStringLiteralLike(node.arguments[0]) && node.arguments[1]?.getText(source) === 'import.meta.url') {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((specifier) => specifier.startsWith('.'));
}

/** `file: "specifier"` for each reference of a file under `root` that resolves into `forbidden`. */
function referencesInto(files: readonly { file: string; text: string }[], forbidden: string): string[] {
  // A literal specifier that reaches the folder names it; parsing only those files keeps the check fast.
  const folderName = forbidden.split(sep).filter(Boolean).at(-1)!;
  return files.flatMap(({ file, text }) =>
    (text.includes(`${folderName}/`) ? referencedPaths(file, text) : [])
      .filter((specifier) => {
        const target = relative(forbidden, resolve(dirname(file), specifier));
        return !target.startsWith('..') && !target.startsWith(sep);
      })
      .map((specifier) => `${relative(ROOT, file).split(sep).join('/')}: "${specifier}"`),
  );
}

describe('the domain-word check itself', () => {
  it('flags the words in code and in comments without a pointer, not in comments with one, nor inside other words', () => {
    const text = [
      '/** Scores any stream; the card example is in examples/fraud. */',
      "const flags = ['--discard-state', 'discarded'];",
      '// Chargebacks arrive late.',
      'export const cardHash = `${flags}`; /* merchant */',
      'const label = `fraud ${cardHash}`; // a merchantable line: still the start of a word',
    ].join('\n');
    expect(domainWords('x.ts', text)).toEqual([
      'x.ts:3: "Chargeback" in a comment that does not point at examples/fraud',
      'x.ts:4: "card" in code',
      'x.ts:4: "merchant" in a comment that does not point at examples/fraud',
      'x.ts:5: "fraud" in code',
      'x.ts:5: "card" in code',
      'x.ts:5: "merchant" in a comment that does not point at examples/fraud',
    ]);
  });

  it('flags every word of a file that has no comments (JSON)', () => {
    expect(domainWords('s.json', '{\n  "description": "the card, customer or machine"\n}')).toEqual(['s.json:2: "card" in a file that has no comments']);
  });

  it('finds imports, re-exports, dynamic and type imports and URLs that reach into a folder', () => {
    const file = join(SRC, 'serving', 'x.ts');
    const text = [
      "import { a } from '../../examples/fraud/a.js';",
      "import type { B } from '../../examples/fraud/b.js';",
      "export { c } from '../streaming/c.js';",
      "const d = await import('../../examples/delivery/d.js');",
      "type E = typeof import('../../examples/fraud/e.js');",
      "const f = new URL('../../examples/fraud/pipeline.yaml', import.meta.url);",
      "const g = new URL('../../schemas/', import.meta.url);",
    ].join('\n');
    expect(referencesInto([{ file, text }], EXAMPLES)).toEqual([
      'src/serving/x.ts: "../../examples/fraud/a.js"',
      'src/serving/x.ts: "../../examples/fraud/b.js"',
      'src/serving/x.ts: "../../examples/delivery/d.js"',
      'src/serving/x.ts: "../../examples/fraud/e.js"',
      'src/serving/x.ts: "../../examples/fraud/pipeline.yaml"',
    ]);
  });
});

describe('src/', () => {
  const files = filesUnder(SRC).map((file) => ({ file, text: readFileSync(file, 'utf8') }));

  it('reads the whole tree', () => {
    expect(files.filter(({ file }) => file.endsWith('.ts')).length).toBeGreaterThan(200);
  });

  it('names no fraud-domain word outside comments pointing at examples/fraud', () => {
    expect(files.flatMap(({ file, text }) => domainWords(relative(ROOT, file).split(sep).join('/'), text))).toEqual([]);
  });

  it('depends on no example', () => {
    expect(referencesInto(files.filter(({ file }) => file.endsWith('.ts')), EXAMPLES)).toEqual([]);
  });
});
