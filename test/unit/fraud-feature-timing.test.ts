import { describe, expect, it } from 'vitest';
import { featuresWaitForWatermark, loadFraudDefinition } from '../../examples/fraud/fraud-pipeline.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline-definition.js';

/** The example's definition with its feature job's arguments replaced. */
function withJobArgs(args: readonly string[]): PipelineDefinition {
  const definition = loadFraudDefinition();
  if (definition.features.job.kind !== 'jar') throw new Error('the fraud example runs a jar job');
  return { ...definition, features: { ...definition.features, job: { ...definition.features.job, args } } };
}

describe('featuresWaitForWatermark (whether the demo must flush the feature job)', () => {
  it('is false for the example as written: its job describes transactions on arrival', () => {
    expect(featuresWaitForWatermark(loadFraudDefinition())).toBe(false);
  });

  it('is true when the job is told to wait for the watermark, and false without the flag (the job defaults to arrival)', () => {
    expect(featuresWaitForWatermark(withJobArgs(['--out-of-orderness-ms', '5000', '--feature-timing', 'event-time']))).toBe(true);
    expect(featuresWaitForWatermark(withJobArgs(['--feature-timing', 'arrival']))).toBe(false);
    expect(featuresWaitForWatermark(withJobArgs(['--out-of-orderness-ms', '5000']))).toBe(false);
  });
});
