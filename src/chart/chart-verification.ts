/**
 * Renders the chart and validates every object it renders, installing the pinned helm and
 * schema set into the cache first when they are not there. What `tributary chart verify` runs.
 */
import type { StackContext } from '../stack/component.js';
import { requireTools } from '../stack/toolchain.js';
import { renderChart, type RenderOptions } from './chart-renderer.js';
import { helmBinary, helmInstallation } from './helm-installation.js';
import { ManifestValidator, type ManifestProblem } from './manifest-validator.js';
import { kubernetesSchemasInstallation, schemaDir } from './schema-installation.js';

export interface ChartVerification {
  /** `Kind/name` of every rendered object, in order. */
  readonly objects: readonly string[];
  readonly problems: readonly ManifestProblem[];
}

/** Installs what is missing (checking the tools its install needs first), renders, validates. */
export async function verifyChart(ctx: StackContext, options: RenderOptions = {}): Promise<ChartVerification> {
  for (const installation of [helmInstallation, kubernetesSchemasInstallation]) {
    if (await installation.isInstalled(ctx)) continue;
    requireTools(installation.installTools);
    await installation.install(ctx);
  }
  const validator = await ManifestValidator.open(schemaDir(ctx));
  const rendered = await renderChart(helmBinary(ctx), options);
  return {
    objects: rendered.map((o) => `${String(o.kind)}/${String((o.metadata as { name?: unknown } | undefined)?.name)}`),
    problems: rendered.flatMap((o) => validator.validate(o)),
  };
}
