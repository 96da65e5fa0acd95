/** `<name>` of the pipeline commands and `flink --pipeline`, checked where it is read. */
import { InvalidArgumentError } from 'commander';
import { modelName } from './trigger-command.js';

/**
 * A pipeline's name, refused before connecting when no pipeline could have it: the rule is the
 * definition schema's `name`, which is also the model's name, so it is the model-name rule.
 */
export function pipelineName(value: string): string {
  try {
    return modelName(value);
  } catch {
    throw new InvalidArgumentError(`expected a pipeline name of 1 to 100 lowercase letters, digits, '.', '_' and '-' (starting with a letter or digit), got "${value}"`);
  }
}
