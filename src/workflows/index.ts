/** The workflows bundle: every workflow the Tributary worker runs (`workflowsPath` points here). */
export { thresholdTrigger } from './threshold-trigger.js';
export { trainingPipeline } from './training-pipeline.js';
export { abRollout } from './ab-rollout.js';
export { driftMonitor } from './drift-monitor.js';
