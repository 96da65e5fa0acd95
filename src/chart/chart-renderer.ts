import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ChartRenderError } from './errors.js';

/** The chart in this package: deploy/helm/tributary, both from `src/` and from `dist/`. */
export const CHART_DIRECTORY = fileURLToPath(new URL('../../deploy/helm/tributary/', import.meta.url));

export interface RenderOptions {
  /** Values files, in order (later ones win). @default [] */
  readonly valuesFiles?: readonly string[];
  /** @default 'tributary' */
  readonly releaseName?: string;
  /** @default 'tributary' */
  readonly namespace?: string;
  /** @default CHART_DIRECTORY */
  readonly chartDirectory?: string;
}

function run(executable: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => resolve({ code: null, stdout, stderr, error }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The line of helm's error output a person needs: the message of a chart rule (`fail`) without
 * the template position, or helm's first line without its `Error: ` and the `--debug` hint.
 */
export function helmFailure(stderr: string): string | undefined {
  const rule = /execution error at \([^)]*\): (.+)/.exec(stderr);
  if (rule) return rule[1]!.trim();
  const first = stderr.split('\n').map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('Use --debug'));
  return first?.replace(/^Error: /, '');
}

/**
 * Renders the chart with `helm template` (offline: the chart declares no dependency) and
 * returns every object it renders, in order. Throws {@link ChartRenderError} with helm's own
 * message when the values break one of the chart's rules.
 */
export async function renderChart(helm: string, options: RenderOptions = {}): Promise<Record<string, unknown>[]> {
  const valuesFiles = options.valuesFiles ?? [];
  const args = [
    'template',
    options.releaseName ?? 'tributary',
    options.chartDirectory ?? CHART_DIRECTORY,
    '--namespace',
    options.namespace ?? 'tributary',
    ...valuesFiles.flatMap((file) => ['--values', file]),
  ];
  const result = await run(helm, args);
  if (result.error) throw new ChartRenderError(valuesFiles, `could not run ${helm}: ${result.error.message}`, result.error);
  if (result.code !== 0) throw new ChartRenderError(valuesFiles, helmFailure(result.stderr) ?? `exit code ${result.code}`);
  const objects: Record<string, unknown>[] = [];
  for (const document of parseAllDocuments(result.stdout)) {
    if (document.errors.length > 0) throw new ChartRenderError(valuesFiles, `rendered YAML does not parse: ${document.errors[0]!.message}`);
    const value = document.toJS() as unknown;
    // helm leaves empty documents where a template rendered nothing.
    if (value === null || value === undefined) continue;
    objects.push(value as Record<string, unknown>);
  }
  return objects;
}
