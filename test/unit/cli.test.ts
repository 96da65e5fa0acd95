import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * Runs the CLI from source as a person would, in a scratch data directory. Asynchronously, so
 * the test worker stays responsive to the runner while the child runs.
 */
function tributary(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TRIBUTARY_')));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { encoding: 'utf8', env: { ...cleanEnv, TRIBUTARY_DATA_DIR: dataDir, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('tributary CLI', () => {
  it.concurrent.each([[[]], [['stack']], [['stack', 'up']], [['stack', 'down']], [['stack', 'status']], [['stack', 'logs']], [['stack', 'reset']], [['stack', 'install']], [['topics']], [['topics', 'ensure']], [['topics', 'list']], [['schemas']], [['schemas', 'register']], [['schemas', 'check']], [['flink']], [['flink', 'submit']], [['flink', 'status']], [['flink', 'cancel']], [['models']], [['models', 'list']], [['models', 'show']], [['models', 'history']], [['worker']], [['train']], [['trigger']], [['trigger', 'start']], [['trigger', 'pause']], [['trigger', 'resume']], [['trigger', 'set-threshold']], [['trigger', 'status']], [['trigger', 'stop']], [['drift', 'stop']], [['schedule']], [['schedule', 'create']], [['schedule', 'list']], [['schedule', 'pause']], [['schedule', 'unpause']], [['schedule', 'delete']], [['schedule', 'trigger']], [['flink', 'deploy']], [['flink', 'savepoint']], [['flink', 'history']]])(
    'prints help for %j',
    async (command) => {
      const { code, stdout } = await tributary([...command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: tributary${command.length ? ` ${command.join(' ')}` : ''} `));
    },
  );

  it('names an unknown command in one line and exits 2', async () => {
    const { code, stderr } = await tributary(['frobnicate']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe("error: unknown command 'frobnicate'");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('names an unknown stack component and lists the known ones', async () => {
    const { code, stderr } = await tributary(['stack', 'logs', 'zookeeper']);
    expect(code).toBe(1);
    expect(stderr).toBe('error: unknown component "zookeeper"; the components are: kafka, schema-registry, temporal, flink-jobmanager, flink-taskmanager, flink-sql-gateway, kafka-secure\n');
  });

  it('refuses a non-positive line count', async () => {
    const { code, stderr } = await tributary(['stack', 'logs', 'kafka', '--lines', '-3']);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(`error: option '-n, --lines <count>' argument '-3' is invalid. expected a positive whole number, got "-3"`);
  });

  it('says when a component has no log yet', async () => {
    const { code, stderr } = await tributary(['stack', 'logs', 'kafka']);
    expect(code).toBe(1);
    expect(stderr).toBe(`error: kafka has no log yet at ${join(dataDir, 'logs', 'kafka.log')}; it has not been started with this data directory\n`);
  });

  it('reports every bad configuration key in one line each, exit 2, no stack trace', async () => {
    const { code, stderr } = await tributary(['stack', 'status'], { TRIBUTARY_KAFKA_BROKERS: 'localhost', TRIBUTARY_STACK: 'kubernetes' });
    expect(code).toBe(2);
    expect(stderr).toBe(
      [
        'error: invalid configuration (2 problems):',
        '  TRIBUTARY_KAFKA_BROKERS="localhost" (environment): expected a comma-separated list of host:port, e.g. 127.0.0.1:9092',
        '  TRIBUTARY_STACK="kubernetes" (environment): expected one of local, docker',
        '',
      ].join('\n'),
    );
  });

  it('explains that the docker mode needs a Docker engine (this machine has only the client)', async () => {
    const { code, stderr } = await tributary(['stack', 'status'], { TRIBUTARY_STACK: 'docker' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: TRIBUTARY_STACK=docker needs (a running Docker engine|the docker command).*use the default local stack: unset TRIBUTARY_STACK\n$/);
  });

  it('names a schema file that does not parse, with the parser\'s reason', async () => {
    const file = join(dataDir, 'broken.avsc');
    writeFileSync(file, '{"type": "record"');
    const { code, stderr } = await tributary(['schemas', 'check', file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^error: schema file ${file} is not valid JSON: .+\n$`));
  });

  it('names an unreachable registry in one line', async () => {
    const { code, stderr } = await tributary(['schemas', 'register'], { TRIBUTARY_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' });
    expect(code).toBe(1);
    expect(stderr).toBe('error: schema registry at http://127.0.0.1:1 is unreachable: connect ECONNREFUSED 127.0.0.1:1 (3 attempts)\n');
  });

  it('names an unreachable Kafka cluster in one line', async () => {
    const { code, stderr } = await tributary(['topics', 'ensure'], { TRIBUTARY_KAFKA_BROKERS: '127.0.0.1:1' });
    expect(code).toBe(1);
    expect(stderr).toBe('error: connecting to Kafka at 127.0.0.1:1 failed: Connection error: connect ECONNREFUSED 127.0.0.1:1\n');
  });

  it('names an unreachable Temporal server in one line (every Temporal command connects through the same helper)', async () => {
    const { code, stderr } = await tributary(['rollout', 'status', 'fraud'], { TRIBUTARY_TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(code).toBe(1);
    expect(stderr).toBe(
      'error: connecting to Temporal at 127.0.0.1:1 (namespace default) failed: Failed to connect before the deadline; is it running? `tributary stack status` shows the local stack, TRIBUTARY_TEMPORAL_ADDRESS sets the address\n',
    );
  }, 60_000);

  it.each([
    [
      ['schemas', 'check', 'schemas/score.avsc', '--topic', 'nosuch'],
      `error: option '--topic <logical>' argument 'nosuch' is invalid. unknown topic "nosuch"; the catalogue declares: scores, models, model-registry-events, deployments, dlq`,
    ],
    [['trigger', 'start', 'fraud', '--cooldown', 'banana'], `error: option '--cooldown <duration>' argument 'banana' is invalid. expected a duration such as 500ms, 30s, 10m, 2h or 7d, got "banana"`],
  ])('refuses %j with one line per problem and exit 2', async (args, line) => {
    const { code, stderr } = await tributary(args);
    expect(code).toBe(2);
    if (typeof line === 'string') expect(stderr.trimEnd()).toBe(line);
    else expect(stderr.split('\n')[0]).toMatch(line);
  });

  it('reports a stopped stack without starting anything', async () => {
    const { code, stdout } = await tributary(['stack', 'status']);
    expect(code).toBe(1);
    expect(stdout.split('\n')[0]).toMatch(/^COMPONENT\s+STATE\s+VERSION\s+PID\s+RSS\s+ENDPOINTS$/);
    expect(stdout).toMatch(/^kafka\s+stopped/m);
    expect(stdout).toMatch(/^flink-sql-gateway\s+stopped/m);
  });
});

describe('tributary rollout, promote, rollback, set-traffic', () => {
  it.concurrent.each([[['rollout']], [['rollout', 'start']], [['rollout', 'status']], [['rollout', 'pause']], [['rollout', 'resume']], [['promote']], [['rollback']], [['set-traffic']]])(
    'prints help for %j',
    async (command) => {
      const { code, stdout } = await tributary([...command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: tributary ${command.join(' ')} `));
    },
  );

  const badPlan = join(dataDir, 'bad-plan.json');
  writeFileSync(badPlan, JSON.stringify({ steps: [{ mode: 'SPLIT', percent: 0, minSamples: 10, minDurationMs: 0 }], autoPromote: 'yes' }));

  it.each([
    [['set-traffic', 'fraud', '150'], `error: command-argument value '150' is invalid for argument 'percent'. expected a percentage from 0 to 100, got "150"`],
    [['set-traffic', 'fraud', 'half'], `error: command-argument value 'half' is invalid for argument 'percent'. expected a percentage from 0 to 100, got "half"`],
    [['promote', 'Fraud'], `error: command-argument value 'Fraud' is invalid for argument 'model'. expected a model name of lowercase letters, digits, '.', '_' and '-' (starting with a letter or digit), got "Fraud"`],
    [['rollout', 'start', 'fraud'], `error: required option '--challenger <version>' not specified`],
    [['rollout', 'start', 'fraud', '--challenger', '0'], `error: option '--challenger <version>' argument '0' is invalid. expected a positive whole number, got "0"`],
    [
      ['rollout', 'start', 'fraud', '--challenger', '2', '--plan', 'nosuch-plan.json'],
      `error: option '--plan <preset|file>' argument 'nosuch-plan.json' is invalid. expected a preset (standard, quick) or a JSON plan file, got "nosuch-plan.json": no such file`,
    ],
    [
      ['rollout', 'start', 'fraud', '--challenger', '2', '--plan', badPlan],
      `error: option '--plan <preset|file>' argument '${badPlan}' is invalid. the plan in ${badPlan} is invalid: steps[0].percent=0: a SPLIT step needs a share above 0 (or use mode SHADOW); autoPromote="yes": expected true or false`,
    ],
  ])('refuses %j with one line per problem and exit 2', async (args, line) => {
    const { code, stderr } = await tributary(args);
    expect(code).toBe(2);
    expect(stderr.trimEnd()).toBe(line);
  });
});
