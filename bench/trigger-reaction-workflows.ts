/**
 * The workflows bundle of bench/trigger-reaction.bench.ts: the real thresholdTrigger, and a stub
 * registered under the training pipeline's workflow type that returns at once, so the bench
 * measures how fast a crossing becomes a started run, not how long training takes.
 */
export { thresholdTrigger } from '../src/workflows/threshold-trigger.js';

/** Stands in for trainingPipeline: a started run is all the bench looks at. */
export async function trainingPipeline(): Promise<void> {}
