/**
 * Bad input, swept over the whole `tributary` command tree and every configuration key: each case
 * must give one line per problem, a non-zero exit, no stack trace, and fail before anything
 * connects. Commands run in-process through runCli (the binary's own error handling); every
 * server endpoint points at a listener that counts connections, so a command that would connect
 * on bad input is caught. Cases come from the tree and the settings table, so a new command,
 * option or setting is swept without editing this file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, type Command, type Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runCli } from '../../src/cli/run-cli.js';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/errors.js';
import { SETTINGS, type Setting, type SettingName } from '../../src/config/settings.js';
import { captureStdio } from '../helpers/in-process-cli.js';

// ---------------------------------------------------------------------------------------------
// The command tree

interface CommandEntry {
  readonly path: readonly string[];
  readonly command: Command;
}

function commandsOf(command: Command, path: readonly string[] = []): CommandEntry[] {
  return [{ path, command }, ...command.commands.flatMap((sub) => commandsOf(sub, [...path, sub.name()]))];
}

const TREE = commandsOf(buildProgram());
const GROUPS = TREE.filter(({ command }) => command.commands.length > 0);
const LEAVES = TREE.filter(({ command }) => command.commands.length === 0);
const nameOf = (path: readonly string[]): string => path.join(' ') || '(root)';

/** A value each required argument or option accepts, by its name: the rest of a case is valid, so the case tests one fault. */
const VALID_VALUES: Readonly<Record<string, string>> = {
  model: 'fraud',
  job: 'tributary-feature-job',
  file: 'schemas/score.avsc',
  count: '10',
  percent: '50',
  challenger: '2',
  cron: '0 3 * * *',
  component: 'kafka',
  version: '1',
  topic: 'transactions',
  name: 'delivery',
  pipeline: 'delivery',
  taskQueue: 'delivery-python-trainer',
};

/**
 * Options whose value is free text (a name, a reason, a path to write or a server-side id):
 * no value is wrong on this side, so they get no wrong-value cases.
 */
const FREE_TEXT_OPTIONS = new Set(['--by', '--reason', '--job-name', '--job-version', '--job-id', '--from-savepoint', '--out', '--artifact-dir', '--group', '--trained-on']);

/**
 * Options checked by the server they configure, so a wrong value is refused only after connecting.
 * `--cron`: Temporal's cron dialect (descriptors, @every, 5 to 7 fields) is the server's to judge.
 * `--key`: `produce`'s key field is checked against the topic's schema, which the registry holds.
 * `--pipeline`: a well-formed name is looked up among the applied pipelines in the pipeline store.
 */
const SERVER_CHECKED_OPTIONS = new Set(['--cron', '--key', '--pipeline']);

/** A word where a number is expected, then values out of every range the parsers declare. */
const WRONG_VALUES = ['banana', 'Not a name!', '-1', '0', '1.5', '1e400', '99999999999999999999', ''] as const;

const validValue = (name: string): string => {
  const value = VALID_VALUES[name];
  if (value === undefined) throw new Error(`no valid value for "${name}" in VALID_VALUES: add one so its command can be swept`);
  return value;
};

/** The command with every required argument and option given a valid value. */
function validInvocation(entry: CommandEntry): string[] {
  const args = entry.command.registeredArguments.filter((argument) => argument.required).map((argument) => validValue(argument.name()));
  const options = entry.command.options.filter((option) => option.mandatory).flatMap((option) => [option.long!, validValue(option.attributeName())]);
  return [...entry.path, ...args, ...options];
}

type ArgumentParser = (value: string, previous: unknown) => unknown;

/** Whether a declared parser refuses `value` the way commander reports it (InvalidArgumentError). */
function refuses(parse: ArgumentParser, value: string): boolean {
  try {
    parse(value, undefined);
    return false;
  } catch (error) {
    if (error instanceof InvalidArgumentError) return true;
    throw error;
  }
}

interface SweepCase {
  readonly name: string;
  readonly args: readonly string[];
  /** The first line of stderr, or a pattern for it. */
  readonly firstLine: string | RegExp;
}

const casesForGroup = ({ path, command }: CommandEntry): SweepCase[] => [
  { name: `${nameOf(path)}: unknown subcommand`, args: [...path, 'frobnicate'], firstLine: "error: unknown command 'frobnicate'" },
  ...command.options
    .filter((option) => option.required)
    .map((option) => ({ name: `${nameOf(path)}: ${option.long} without its value`, args: [...path, option.long!], firstLine: `error: option '${option.flags}' argument missing` })),
];

function casesForLeaf(entry: CommandEntry): SweepCase[] {
  const { path, command } = entry;
  const name = nameOf(path);
  const valid = validInvocation(entry);
  const cases: SweepCase[] = [
    { name: `${name}: unknown option`, args: [...valid, '--frobnicate'], firstLine: "error: unknown option '--frobnicate'" },
  ];
  const requiredArguments = command.registeredArguments.filter((argument) => argument.required);
  if (!command.registeredArguments.some((argument) => argument.variadic)) {
    const surplus = [...path, ...command.registeredArguments.map((argument) => validValue(argument.name())), 'surplus'];
    const expected = command.registeredArguments.length === 0 ? `error: too many arguments for '${command.name()}'. Expected 0 arguments but got 1.` : /^error: too many arguments/;
    cases.push({ name: `${name}: surplus argument`, args: [...surplus, ...valid.slice(path.length + requiredArguments.length)], firstLine: expected });
  }
  requiredArguments.forEach((argument, index) => {
    const given = requiredArguments.slice(0, index).map((earlier) => validValue(earlier.name()));
    const options = valid.slice(path.length + requiredArguments.length);
    cases.push({ name: `${name}: missing <${argument.name()}>`, args: [...path, ...given, ...options], firstLine: `error: missing required argument '${argument.name()}'` });
  });
  for (const option of command.options.filter((candidate) => candidate.mandatory)) {
    const without = withoutOption(valid, option);
    cases.push({ name: `${name}: missing ${option.long}`, args: without, firstLine: `error: required option '${option.flags}' not specified` });
  }
  for (const argument of command.registeredArguments.filter((candidate) => candidate.parseArg !== undefined)) {
    const parse = argument.parseArg as ArgumentParser;
    for (const value of WRONG_VALUES.filter((candidate) => refuses(parse, candidate))) {
      const args = [...path, ...command.registeredArguments.map((each) => (each === argument ? value : validValue(each.name())))];
      cases.push({
        name: `${name}: <${argument.name()}> ${JSON.stringify(value)}`,
        args: [...args, ...valid.slice(path.length + requiredArguments.length)],
        firstLine: `error: command-argument value '${value}' is invalid for argument '${argument.name()}'. ${refusal(parse, value)}`,
      });
    }
  }
  for (const option of command.options.filter((candidate) => candidate.required && candidate.long !== undefined)) {
    const rest = withoutOption(valid, option);
    cases.push({ name: `${name}: ${option.long} without its value`, args: [...rest, option.long!], firstLine: `error: option '${option.flags}' argument missing` });
    if (FREE_TEXT_OPTIONS.has(option.long!) || SERVER_CHECKED_OPTIONS.has(option.long!)) continue;
    const parse = option.parseArg as ArgumentParser | undefined;
    for (const value of wrongValuesFor(option)) {
      cases.push({
        name: `${name}: ${option.long} ${JSON.stringify(value)}`,
        args: [...rest, `${option.long}=${value}`],
        // A value the parser lets through is checked by the command itself, in a line naming the option.
        firstLine:
          parse !== undefined && refuses(parse, value)
            ? `error: option '${option.flags}' argument '${value}' is invalid. ${refusal(parse, value)}`
            : new RegExp(`^error: .*${escape(option.long!.slice(2))}`),
      });
    }
  }
  return cases;
}

/** Options whose negative values are meaningful: a time before 1970. */
const NEGATIVE_ALLOWED = new Set(['--start-time']);

/**
 * The wrong values to try on an option: those among WRONG_VALUES its parser refuses, and -1 where
 * the parser takes any number and leaves the range to the command. Without a parser the command
 * checks the value; the word and -1 are wrong for every such option.
 */
function wrongValuesFor(option: Option): string[] {
  const parse = option.parseArg as ArgumentParser | undefined;
  if (parse === undefined) return ['banana', '-1'];
  const values = WRONG_VALUES.filter((value) => refuses(parse, value));
  if (values.length === 0) throw new Error(`${option.long} accepts every wrong value tried; list it as free text if that is right`);
  return values.includes('-1') || NEGATIVE_ALLOWED.has(option.long!) ? values : [...values, '-1'];
}

function refusal(parse: ArgumentParser, value: string): string {
  try {
    parse(value, undefined);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`the parser accepts ${JSON.stringify(value)}`);
}

function withoutOption(args: readonly string[], option: Option): string[] {
  const at = args.indexOf(option.long!);
  return at === -1 ? [...args] : [...args.slice(0, at), ...args.slice(at + 2)];
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------
// Running a case in-process, with every endpoint at a listener that counts connections

let scratch: string;
let listener: Server;
let listenerPort: number;
let connections: number;

/** Each setting as a bad-input case sees it: every server at the listener, every directory a scratch one. */
function sweepEnvironment(port: number): Record<string, string> {
  const at = `127.0.0.1:${port}`;
  return {
    TRIBUTARY_KAFKA_BROKERS: at,
    TRIBUTARY_SCHEMA_REGISTRY_URL: `http://${at}`,
    TRIBUTARY_TEMPORAL_ADDRESS: at,
    TRIBUTARY_TEMPORAL_UI_URL: `http://${at}`,
    TRIBUTARY_FLINK_REST_URL: `http://${at}`,
    TRIBUTARY_FLINK_SQL_GATEWAY_URL: `http://${at}`,
    TRIBUTARY_DATA_DIR: join(scratch, 'data'),
    TRIBUTARY_CACHE_DIR: join(scratch, 'cache'),
    TRIBUTARY_TOPIC_PREFIX: 'bad-input-sweep.',
  };
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'tributary-bad-input-'));
  connections = 0;
  listener = createServer((socket: Socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenerPort = (listener.address() as { port: number }).port;
  for (const name of Object.keys(process.env).filter((variable) => variable.startsWith('TRIBUTARY_'))) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(sweepEnvironment(listenerPort))) vi.stubEnv(name, value);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

interface Outcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly connections: number;
}

/** The longest a bad-input case may take: it must fail at once, so this only bounds a case that went on to run. */
const CASE_TIMEOUT_MS = 5_000;

async function run(args: readonly string[]): Promise<Outcome> {
  const stdio = captureStdio();
  const before = connections;
  process.exitCode = undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const ran = runCli(buildProgram(), ['node', 'tributary', ...args]);
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CASE_TIMEOUT_MS)));
    if ((await Promise.race([ran, late])) === 'late') throw new Error(`tributary ${args.join(' ')} was still running after ${CASE_TIMEOUT_MS} ms: it accepted the input`);
    return { exitCode: Number(process.exitCode ?? 0), stdout: stdio.stdout(), stderr: stdio.stderr(), connections: connections - before };
  } finally {
    clearTimeout(timer);
    stdio.restore();
    process.exitCode = undefined;
  }
}

const HELP_HINT = '(run with --help for usage)';

/** One line per problem, exit 2, nothing on stdout, no stack trace, no connection. */
function expectRefused(outcome: Outcome, firstLine: string | RegExp, problems = 1): void {
  const lines = outcome.stderr.trimEnd().split('\n').filter((line) => line !== HELP_HINT);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  if (typeof firstLine === 'string') expect(lines[0]).toBe(firstLine);
  else expect(lines[0]).toMatch(firstLine);
  expect(lines, outcome.stderr).toHaveLength(problems);
  for (const line of lines.slice(1)) expect(line).toMatch(/^(error: | {2})/);
  expect(outcome.exitCode).toBe(2);
  expect(outcome.stdout).toBe('');
  expect(outcome.connections, 'connections made before refusing').toBe(0);
}

// ---------------------------------------------------------------------------------------------

describe('bad command-line input, over every command and option', () => {
  const cases = [...GROUPS.flatMap(casesForGroup), ...LEAVES.flatMap(casesForLeaf)];

  it('checks every model and pipeline name where it is read, before anything connects', () => {
    const unchecked = LEAVES.flatMap(({ path, command }) => [
      ...command.registeredArguments
        .filter((argument) => ['model', 'name'].includes(argument.name()) && argument.parseArg === undefined)
        .map((argument) => `${nameOf(path)} <${argument.name()}>`),
      ...command.options.filter((option) => option.long === '--model' && option.parseArg === undefined).map(() => `${nameOf(path)} --model`),
    ]);
    expect(unchecked).toEqual([]);
  });

  it('covers every command, and every option that takes a value', () => {
    const named = new Set(cases.map((each) => each.name));
    for (const { path } of LEAVES) expect(named).toContain(`${nameOf(path)}: unknown option`);
    for (const { path, command } of LEAVES) {
      for (const option of command.options.filter((candidate) => candidate.required)) expect(named).toContain(`${nameOf(path)}: ${option.long} without its value`);
    }
    expect(cases.length).toBeGreaterThan(200);
  });

  it.each(cases.map((each) => [each.name, each] as const))('%s', async (_, { args, firstLine }) => {
    expectRefused(await run(args), firstLine);
  });
});

describe('the same refusals from the real process', () => {
  /** The binary from source, as a person runs it, with the sweep's environment: the in-process runs above stand for it. */
  function tributary(args: readonly string[]): Promise<Outcome> {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TRIBUTARY_')));
    const before = connections;
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', ...args],
        { encoding: 'utf8', env: { ...clean, ...sweepEnvironment(listenerPort) }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr, connections: connections - before }),
      );
    });
  }

  it.concurrent.each([
    [['serve', '--model', 'Not a name!'], `error: option '--model <name>' argument 'Not a name!' is invalid. expected a model name of lowercase letters, digits, '.', '_' and '-' (starting with a letter or digit), got "Not a name!"`],
    [['models', 'history', 'Not a name!'], `error: command-argument value 'Not a name!' is invalid for argument 'model'. invalid model name "Not a name!": use 1 to 100 letters, digits, '.', '_' or '-'`],
    [['flink', 'deploy', 'tributary-feature-job', '--health-window', 'banana'], `error: option '--health-window <seconds>' argument 'banana' is invalid. expected a positive whole number, got "banana"`],
  ])('%j', async (args, line) => {
    expectRefused(await tributary(args), line);
  });
});

describe('malformed files given to --config, --spec, --plan and schemas check', () => {
  let files: Record<'missing' | 'malformed' | 'array' | 'wrongShape', string>;

  beforeAll(() => {
    files = {
      missing: join(scratch, 'no-such-file.json'),
      malformed: join(scratch, 'malformed.json'),
      array: join(scratch, 'array.json'),
      wrongShape: join(scratch, 'wrong-shape.json'),
    };
    writeFileSync(files.malformed, '{"kafka": {"brokers": [');
    writeFileSync(files.array, '[1, 2, 3]');
    // The sweep's environment sets the endpoints (and overrides them in a file), so the wrong value is the namespace.
    writeFileSync(files.wrongShape, JSON.stringify({ temporal: { namespace: ['a b'] }, steps: 'all', version: 7, colour: 'blue' }));
  });

  it.each([
    ['missing', /^error: invalid configuration \(1 problem\):$/, 2],
    ['malformed', /^error: invalid configuration \(1 problem\):$/, 2],
    ['array', /^error: invalid configuration \(1 problem\):$/, 2],
    ['wrongShape', /^error: invalid configuration \(4 problems\):$/, 5],
  ] as const)('--config with a %s file, one line per problem', async (kind, firstLine, lines) => {
    expectRefused(await run(['--config', files[kind], 'topics', 'list']), firstLine, lines);
  });

  it.each(['missing', 'malformed', 'array', 'wrongShape'] as const)('flink deploy --spec with a %s file', async (kind) => {
    expectRefused(await run(['flink', 'deploy', 'tributary-feature-job', '--spec', files[kind]]), new RegExp(`^error: spec file ${escape(files[kind])}`));
  });

  it.each(['missing', 'malformed', 'array', 'wrongShape'] as const)('rollout start --plan with a %s file', async (kind) => {
    const outcome = await run(['rollout', 'start', 'fraud', '--challenger', '2', '--plan', files[kind]]);
    expectRefused(outcome, new RegExp(`^error: option '--plan <preset\\|file>' argument '${escape(files[kind])}' is invalid\\. `));
  });

  it.each(['missing', 'malformed', 'array'] as const)('schemas check with a %s schema file fails in one line, exit 1', async (kind) => {
    const outcome = await run(['schemas', 'check', files[kind]]);
    expect(outcome.stderr).toMatch(new RegExp(`^error: schema file ${escape(files[kind])} [^\\n]+\\n$`));
    expect(outcome.exitCode).toBe(1);
    expect(outcome.connections).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Configuration keys

const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];
const settingOf = (name: SettingName): Setting<unknown> => SETTINGS[name];

/** Values of the wrong type or out of range for some setting; each setting is tried with those its parser refuses. */
const WRONG_SETTING_VALUES = ['banana split', '127.0.0.1:0', '127.0.0.1:65536', 'localhost', 'ftp://example.com', 'maybe', 'short', '', ' ', '/no/such/file.pem', 'a b'];

/** Settings that take any text (user names, passwords, a TLS server name): only an unknown name or a wrong JSON type can be wrong. */
const FREE_TEXT_SETTINGS: readonly SettingName[] = ['kafkaSaslUsername', 'kafkaSaslPassword', 'schemaRegistryUsername', 'schemaRegistryPassword', 'temporalTlsServerName', 'temporalApiKey'];

const refusedValues = (setting: Setting<unknown>): string[] => WRONG_SETTING_VALUES.filter((value) => !setting.parse(value, { home: '/home/ada', baseDir: undefined }).ok);

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** A setting's name with one letter changed: close enough for a did-you-mean, never another setting. */
const misspelt = (name: string): string => `${name.slice(0, -1)}${name.endsWith('X') ? 'Y' : 'X'}`;

describe('bad configuration, over every key of the settings table', () => {
  it('has a refused value for every setting that is not free text', () => {
    const freeText = SETTING_NAMES.filter((name) => refusedValues(settingOf(name)).length === 0);
    expect(freeText).toEqual(FREE_TEXT_SETTINGS);
  });

  const valueCases = SETTING_NAMES.flatMap((name) => refusedValues(settingOf(name)).map((value) => [name, value] as const));

  it.each(valueCases)('%s=%j from the environment is one line naming the variable and what it expects', (name, value) => {
    const setting = settingOf(name);
    const error = configErrorOf(() => loadConfig({ env: { [setting.env]: value } }));
    const shown = setting.secret && value !== '' ? '***' : value;
    expect(error.message).toBe(`invalid configuration (1 problem):\n  ${setting.env}=${JSON.stringify(shown)} (environment): expected ${setting.expected}`);
  });

  it.each(SETTING_NAMES)('%s given an object in the config file is one line naming the dotted key', (name) => {
    const setting = settingOf(name);
    const file = join(scratch, `object-${name}.json`);
    writeFileSync(file, JSON.stringify(nest(setting.file, { wrong: 'type' })));
    const error = configErrorOf(() => loadConfig({ env: {}, file }));
    const shown = setting.secret ? '***' : { wrong: 'type' };
    const [header, ...lines] = error.message.split('\n');
    expect(header).toBe(`invalid configuration (${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}):`);
    expect(lines).toHaveLength(error.issues.length);
    expect(lines[0]).toBe(`  ${setting.file}=${JSON.stringify(shown)} (${file}): expected ${setting.expected}`);
    // A wrong value still counts as given, so a setting that needs a partner (user name and password) also names the missing one.
    for (const line of lines.slice(1)) expect(line).toMatch(/^ {2}\S+ \/ \S+=\(missing\) .*go together\)$/);
  });

  it.each(SETTING_NAMES)('a misspelt %s variable is refused with a did-you-mean', (name) => {
    const setting = settingOf(name);
    const error = configErrorOf(() => loadConfig({ env: { [misspelt(setting.env)]: 'x' } }));
    expect(error.issues).toHaveLength(1);
    expect(error.message.split('\n')[1]).toMatch(new RegExp(`^  ${misspelt(setting.env)}=".*" \\(environment\\): expected a known setting \\(did you mean ${setting.env}\\?\\)$`));
  });

  it.each(SETTING_NAMES)('a misspelt %s file key is refused with a did-you-mean, its value not shown', (name) => {
    const setting = settingOf(name);
    const file = join(scratch, `misspelt-${name}.json`);
    writeFileSync(file, JSON.stringify(nest(misspelt(setting.file), 'x')));
    const error = configErrorOf(() => loadConfig({ env: {}, file }));
    expect(error.message).toBe(`invalid configuration (1 problem):\n  ${misspelt(setting.file)} (${file}): unknown key (did you mean ${setting.file}?)`);
  });

  it('reaches a person through the CLI as one line per bad key and exit 2, before connecting', async () => {
    const bad = SETTING_NAMES.map(settingOf).filter((setting) => refusedValues(setting).length > 0);
    for (const setting of bad) vi.stubEnv(setting.env, refusedValues(setting)[0]!);
    try {
      const outcome = await run(['topics', 'list']);
      expectRefused(outcome, `error: invalid configuration (${bad.length} problems):`, bad.length + 1);
      for (const setting of bad) expect(outcome.stderr).toContain(`  ${setting.env}=`);
    } finally {
      const sweep = sweepEnvironment(listenerPort);
      for (const setting of bad) vi.stubEnv(setting.env, sweep[setting.env]);
    }
  });
});

/** `kafka.tls.caFile` → `{kafka: {tls: {caFile: value}}}`. */
function nest(dotted: string, value: unknown): Record<string, unknown> {
  return dotted.split('.').reduceRight<unknown>((inner, part) => ({ [part]: inner }), value) as Record<string, unknown>;
}
