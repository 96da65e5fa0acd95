import { userInfo } from 'node:os';
import { Command } from 'commander';
import type { trainingPipeline } from '../workflows/training-pipeline.js';
import type { CliEnvironment } from './cli-environment.js';
import { positiveInteger } from './option-parsers.js';
import { modelName } from './trigger-command.js';
import { uiLinkOf, withClient } from './workflow-client.js';

/**
 * `tributary train <model>`: starts a training pipeline on everything retained up to now. The
 * model's settings come from the pipeline's applied definition; an option given here overrides
 * that setting for this run only, and the version's lineage says so.
 */
export function trainCommand(cli: CliEnvironment): Command {
  return new Command('train')
    .description('start a training pipeline now on every training example retained up to now, and print the run\'s Temporal UI link')
    .argument('<model>', 'model name', modelName)
    .option('--min-examples <count>', 'refuse to train on fewer examples (default: the definition\'s model.training.minExamples)', positiveInteger)
    .option('--max-epochs <count>', 'epochs at most (default: the definition\'s model.training.maxEpochs)', positiveInteger)
    .option('--by <who>', 'who starts the run, recorded in the lineage (default: your user name)')
    .action(async (model: string, options: { minExamples?: number; maxEpochs?: number; by?: string }) => {
      const config = cli.config();
      const startedAt = new Date();
      const workflowId = `training:${model}:manual-${startedAt.toISOString().replace(/[-:.]/g, '')}`;
      const by = options.by ?? userInfo().username;
      // Imported here, not at the top, so `--help` does not load the Temporal SDK.
      const { TributaryModelName } = await import('../temporal/search-attributes.js');
      await withClient(config, (client) =>
        client.workflow.start<typeof trainingPipeline>('trainingPipeline', {
          taskQueue: config.temporal.taskQueue,
          workflowId,
          args: [
            {
              model,
              data: { kind: 'up-to-now' },
              ...(options.minExamples === undefined ? {} : { minExamples: options.minExamples }),
              ...(options.maxEpochs === undefined ? {} : { training: { maxEpochs: options.maxEpochs } }),
              triggeredBy: `person:${by}`,
            },
          ],
          typedSearchAttributes: [{ key: TributaryModelName, value: model }],
          memo: { triggeredBy: `person:${by}` },
        }),
      );
      cli.print(`started ${workflowId}: ${await uiLinkOf(config, workflowId)}`);
    });
}
