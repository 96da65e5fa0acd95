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

/** The pinned helm and the validator of the pinned schema set, installing what is missing (after checking the tools its install needs). */
export async function chartToolchain(ctx: StackContext): Promise<{ readonly helm: string; readonly validator: ManifestValidator }> {
  for (const installation of [helmInstallation, kubernetesSchemasInstallation]) {
    if (await installation.isInstalled(ctx)) continue;
    requireTools(installation.installTools);
    await installation.install(ctx);
  }
  return { helm: helmBinary(ctx), validator: await ManifestValidator.open(schemaDir(ctx)) };
}

/** Renders the chart and validates every object it renders. */
export async function verifyChart(ctx: StackContext, options: RenderOptions = {}): Promise<ChartVerification> {
  const { helm, validator } = await chartToolchain(ctx);
  const rendered = await renderChart(helm, options);
  return {
    objects: rendered.map((o) => `${String(o.kind)}/${String((o.metadata as { name?: unknown } | undefined)?.name)}`),
    problems: rendered.flatMap((o) => validator.validate(o)),
  };
}
