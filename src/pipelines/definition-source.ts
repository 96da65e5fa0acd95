/**
 * A definition file read and parsed, with the way back from a place in the definition to its line.
 * YAML and JSON alike go through `yaml` (JSON is YAML 1.2 flow syntax), so a problem in either
 * names its line.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { reasonOf } from '../errors/tributary-error.js';
import { PipelineDefinitionError } from './errors.js';

/** A place in a definition: keys of objects and indexes of arrays, from the root. */
export type DefinitionPath = readonly (string | number)[];

/** A parsed definition and where its parts are in the file. */
export interface DefinitionSource {
  /** The file as the person named it. */
  readonly file: string;
  /** The folder relative paths in the definition start from: the file's own. */
  readonly baseDir: string;
  /** The parsed content, not yet checked. */
  readonly value: unknown;
  /**
   * The 1-based line of the value at `path` (of its key when `key` is set), or of the nearest
   * enclosing value that is in the file when that one is not (a missing field).
   */
  lineOf(path: DefinitionPath, options?: { readonly key?: boolean }): number | undefined;
}

/** `model.inputs[3].field`; empty for the root. */
export function formatPath(path: DefinitionPath): string {
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');
}

/**
 * Parses definition text; throws {@link PipelineDefinitionError} with the first syntax error and
 * its line. Only the first: the parser's later errors mostly follow from it (a tab used as
 * indentation gives six more about the lines after it).
 */
export function parseDefinition(text: string, file: string, baseDir: string): DefinitionSource {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [error] = document.errors;
  if (error !== undefined) {
    throw new PipelineDefinitionError(file, [{ file, line: lineCounter.linePos(error.pos[0]).line, path: '', message: `not valid YAML or JSON: ${error.message}` }], error);
  }
  const lineAt = (offset: number | undefined): number | undefined => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  return {
    file,
    baseDir,
    value: document.toJS({ maxAliasCount: 100 }) as unknown,
    lineOf: (path, options = {}) => {
      for (let depth = path.length; depth >= 0; depth -= 1) {
        const at = path.slice(0, depth);
        if (options.key && depth === path.length && depth > 0) {
          const keyLine = lineAt(keyOffset(document, at));
          if (keyLine !== undefined) return keyLine;
        }
        const node = at.length === 0 ? document.contents : document.getIn(at, true);
        const offset = (node as { range?: readonly number[] } | null | undefined)?.range?.[0];
        if (offset !== undefined) return lineAt(offset);
      }
      return undefined;
    },
  };
}

/** Where the key of the last segment of `path` starts, when its parent is a mapping that has it. */
function keyOffset(document: Document, path: DefinitionPath): number | undefined {
  const parent = path.length === 1 ? document.contents : document.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const name = path[path.length - 1];
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === name);
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
}

/** Reads and parses a definition file; throws {@link PipelineDefinitionError} when it cannot be read or parsed. */
export function loadDefinitionSource(file: string): DefinitionSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PipelineDefinitionError(file, [{ file, line: undefined, path: '', message: `cannot be read: ${reasonOf(error)}` }], error);
  }
  return parseDefinition(text, file, dirname(resolve(file)));
}
