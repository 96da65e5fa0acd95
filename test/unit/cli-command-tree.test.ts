import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

/** Every command of the tree with its path from the root, e.g. ['rollout', 'start']. */
function commandsOf(command: Command, path: readonly string[] = []): { path: readonly string[]; command: Command }[] {
  return [{ path, command }, ...command.commands.flatMap((sub) => commandsOf(sub, [...path, sub.name()]))];
}

describe('the tributary command tree', () => {
  const commands = commandsOf(buildProgram());

  it('has every command the README promises', () => {
    const paths = commands.map(({ path }) => path.join(' '));
    for (const expected of ['serve', 'status', 'report', 'rollout start', 'rollout status', 'promote', 'rollback', 'set-traffic', 'drift start', 'flink deploy', 'trigger start', 'schedule create']) {
      expect(paths).toContain(expected);
    }
  });

  it.each(commands.map(({ path, command }) => [path.join(' ') || '(root)', command] as const))('%s has a description and a usage line', (name, command) => {
    expect(command.description().length).toBeGreaterThan(10);
    const help = command.helpInformation();
    expect(help).toMatch(new RegExp(`^Usage: tributary${name === '(root)' ? '' : ` ${name}`} `));
    // Every option says what it does.
    for (const option of command.options) expect(option.description.length, `${name} ${option.flags}`).toBeGreaterThan(5);
  });
});
