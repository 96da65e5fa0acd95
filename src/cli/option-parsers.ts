import { InvalidArgumentError } from 'commander';

/** Parses a command-line value that must be a whole number above zero. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return parsed;
}

/** A Temporal task queue name as Tributary names them: letters, digits, '.', '_' and '-', starting with a letter or digit. */
export function taskQueueName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(value)) throw new InvalidArgumentError(`expected a task queue name of letters, digits, '.', '_' and '-', starting with a letter or digit, got "${value}"`);
  return value;
}
