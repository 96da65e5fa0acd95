/** The fraud example's jar feature job (examples/fraud/feature-job), as its definition describes it: what the Flink tests build and run. */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipelineJarJob, type PipelineJarJob } from '../../src/flink/jar-feature-job.js';
import { loadPipelineDefinition } from '../../src/pipelines/validate-pipeline.js';

export const FRAUD_DEFINITION_FILE = fileURLToPath(new URL('../../examples/fraud/pipeline.yaml', import.meta.url));

export const fraudJarJob: PipelineJarJob = pipelineJarJob(loadPipelineDefinition(FRAUD_DEFINITION_FILE), dirname(FRAUD_DEFINITION_FILE));
