import { Command } from 'commander';
import type { CliEnvironment } from './cli-environment.js';

/** Exit code of a definition with problems: the input is wrong, as for bad arguments. */
const EXIT_BAD_INPUT = 2;

const counted = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** `tributary pipeline validate`: pipeline definition files. Plan and apply come next (issue 13). */
export function pipelineCommand(cli: CliEnvironment): Command {
  const command = new Command('pipeline').description(
    'pipeline definitions: one YAML or JSON file per pipeline naming its sources, feature job, labels, model, gates, trigger, rollout, drift and serving (see docs/pipelines.md)',
  );

  command
    .command('validate')
    .description(
      'check a definition offline, without connecting to anything: its structure against the JSON Schema, the files and Avro fields it names, ' +
        'encodings against field types, settings against the task; prints every problem on its own line with its line in the file, and exits 2 when there is one',
    )
    .argument('<file>', 'a pipeline definition (.yaml, .yml or .json)')
    .action(async (file: string) => {
      // yaml, ajv and avsc load only when a definition is checked, so `--help` stays fast.
      const [{ loadPipelineDefinition }, { PipelineDefinitionError, formatProblem }] = await Promise.all([import('../pipelines/validate-pipeline.js'), import('../pipelines/errors.js')]);
      try {
        const definition = loadPipelineDefinition(file);
        cli.print(`${file}: valid (${counted(definition.sources.length, 'source')}, ${counted(definition.model.inputs.length, 'input')}, task ${definition.model.task})`);
      } catch (error) {
        if (!(error instanceof PipelineDefinitionError)) throw error;
        for (const problem of error.problems) cli.fail(formatProblem(problem));
        cli.setExitCode(EXIT_BAD_INPUT);
      }
    });

  return command;
}
