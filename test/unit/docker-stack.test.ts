import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DOCKER_COMPOSE_FILE,
  DockerStack,
  everyServiceHealthy,
  parseComposePs,
  serviceStatuses,
  spawnCommandRunner,
  type CommandResult,
  type CommandRunner,
  type RunOptions,
} from '../../src/stack/docker-stack.js';
import { StackError } from '../../src/stack/errors.js';
import { STACK_PORTS } from '../../src/stack/stack-layout.js';
import { STACK_VERSIONS } from '../../src/stack/versions.js';
import { TRIBUTARY_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FILE = '/repo/docker-compose.yml';
const SERVICES = ['network', 'temporal', 'kafka', 'schema-registry', 'flink-jobmanager', 'flink-taskmanager', 'flink-sql-gateway'];

/** `docker compose ps --all --format json` of Compose 2.21+: one JSON object per line (trimmed to realistic fields). */
const PS_JSON_LINES = [
  {
    Command: '"/entrypoint.sh sh -c \'chmod 1777 /volumes/temporal /volumes/schema-registry && touch /tmp/ready && exec sleep 2147483647\'"',
    CreatedAt: '2025-11-25 09:12:01 +0000 UTC',
    ExitCode: 0,
    Health: 'healthy',
    ID: '0f3a9c1e2b7d',
    Image: 'busybox:1.37',
    Labels: 'com.docker.compose.project=tributary,com.docker.compose.service=network',
    LocalVolumes: '2',
    Mounts: 'tributary_temporal-data,tributary_schema-registry-data',
    Name: 'tributary-network-1',
    Names: 'tributary-network-1',
    Networks: 'tributary_default',
    Ports: '127.0.0.1:7233->7233/tcp, 127.0.0.1:8081->8081/tcp, 127.0.0.1:8083->8083/tcp, 127.0.0.1:8085->8085/tcp, 127.0.0.1:8233->8233/tcp, 127.0.0.1:9092->9092/tcp',
    Project: 'tributary',
    Publishers: [
      { URL: '127.0.0.1', TargetPort: 7233, PublishedPort: 7233, Protocol: 'tcp' },
      { URL: '127.0.0.1', TargetPort: 8081, PublishedPort: 8081, Protocol: 'tcp' },
      { URL: '127.0.0.1', TargetPort: 8083, PublishedPort: 8083, Protocol: 'tcp' },
      { URL: '127.0.0.1', TargetPort: 8085, PublishedPort: 8085, Protocol: 'tcp' },
      { URL: '127.0.0.1', TargetPort: 8233, PublishedPort: 8233, Protocol: 'tcp' },
      { URL: '127.0.0.1', TargetPort: 9092, PublishedPort: 9092, Protocol: 'tcp' },
    ],
    RunningFor: '3 minutes ago',
    Service: 'network',
    Size: '0B',
    State: 'running',
    Status: 'Up 3 minutes (healthy)',
  },
  {
    ExitCode: 0,
    Health: 'healthy',
    ID: '6d1e0b8a44c2',
    Image: 'temporalio/temporal:1.5.1',
    Name: 'tributary-temporal-1',
    Project: 'tributary',
    Publishers: null,
    Service: 'temporal',
    State: 'running',
    Status: 'Up 3 minutes (healthy)',
  },
  {
    ExitCode: 0,
    Health: 'starting',
    ID: '9b2f7e61c0aa',
    Image: 'apache/kafka:4.1.1',
    Name: 'tributary-kafka-1',
    Project: 'tributary',
    Publishers: [{ URL: '', TargetPort: 9092, PublishedPort: 0, Protocol: 'tcp' }],
    Service: 'kafka',
    State: 'running',
    Status: 'Up 20 seconds (health: starting)',
  },
  {
    ExitCode: 0,
    Health: 'unhealthy',
    ID: '41aa0c9d7e13',
    Image: 'apicurio/apicurio-registry:3.0.9',
    Name: 'tributary-schema-registry-1',
    Project: 'tributary',
    Publishers: [],
    Service: 'schema-registry',
    State: 'running',
    Status: 'Up 4 minutes (unhealthy)',
  },
  {
    ExitCode: 0,
    Health: 'healthy',
    ID: 'c7e3d2f1a9b0',
    Image: 'tributary-flink-jobmanager',
    Name: 'tributary-flink-jobmanager-1',
    Project: 'tributary',
    Publishers: [],
    Service: 'flink-jobmanager',
    State: 'running',
    Status: 'Up 2 minutes (healthy)',
  },
  {
    ExitCode: 137,
    Health: '',
    ID: 'e5f4a3b2c1d0',
    Image: 'tributary-flink-taskmanager',
    Name: 'tributary-flink-taskmanager-1',
    Project: 'tributary',
    Publishers: [],
    Service: 'flink-taskmanager',
    State: 'exited',
    Status: 'Exited (137) 5 seconds ago',
  },
]
  .map((entry) => JSON.stringify(entry))
  .join('\n');

/** The same kind of output from Compose before 2.21: one JSON array, fewer fields. */
const PS_JSON_ARRAY = JSON.stringify([
  { ID: '6d1e0b8a44c2', Name: 'tributary-temporal-1', Command: 'temporal server start-dev', Project: 'tributary', Service: 'temporal', State: 'running', Health: 'healthy', ExitCode: 0, Publishers: null },
  { ID: '9b2f7e61c0aa', Name: 'tributary-kafka-1', Command: '/etc/kafka/docker/run', Project: 'tributary', Service: 'kafka', State: 'running', Health: '', ExitCode: 0, Publishers: null },
  { ID: 'e5f4a3b2c1d0', Name: 'tributary-flink-taskmanager-1', Command: '/docker-entrypoint.sh taskmanager', Project: 'tributary', Service: 'flink-taskmanager', State: 'exited', Health: '', ExitCode: 1, Publishers: null },
]);

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, signal: null, stdout, stderr: '', timedOut: false });
const failed = (stderr: string, exitCode = 1): CommandResult => ({ exitCode, signal: null, stdout: '', stderr, timedOut: false });

/** Records every docker invocation and answers like a working Docker with Compose 2.29. */
function fakeDocker(overrides: (args: readonly string[]) => CommandResult | Error | undefined = () => undefined) {
  const calls: string[][] = [];
  const runner: CommandRunner = async (executable, args, options: RunOptions) => {
    expect(executable).toBe('docker');
    expect(options.timeoutMs).toBeGreaterThan(0);
    calls.push([...args]);
    const override = overrides(args);
    if (override instanceof Error) throw override;
    if (override) return override;
    const command = args.join(' ');
    if (command === 'info --format {{.ServerVersion}}') return ok('28.2.2\n');
    if (command === 'compose version --short') return ok('2.29.7\n');
    if (command.endsWith('config --services')) return ok(`${SERVICES.join('\n')}\n`);
    if (command.endsWith('ps --all --format json')) return ok(`${PS_JSON_LINES}\n`);
    if (command.includes(' logs ')) return ok('[2025-11-25 09:15:00,123] INFO Kafka Server started (kafka.server.KafkaRaftServer)\n');
    return ok();
  };
  return { calls, stack: new DockerStack({ composeFile: FILE, runner }) };
}

const PREFLIGHT = [
  ['info', '--format', '{{.ServerVersion}}'],
  ['compose', 'version', '--short'],
];
const compose = (...args: string[]): string[] => ['compose', '-f', FILE, ...args];

describe('DockerStack commands', () => {
  it('up checks the engine, runs compose up -d --wait, then reads the status', async () => {
    const { calls, stack } = fakeDocker();
    const result = await stack.up();
    expect(calls).toEqual([...PREFLIGHT, compose('up', '-d', '--wait'), compose('config', '--services'), compose('ps', '--all', '--format', 'json')]);
    expect(result.status.map((s) => s.service)).toEqual(SERVICES);
  });

  it('down runs compose down, and down --purge adds -v', async () => {
    const plain = fakeDocker();
    await plain.stack.down();
    expect(plain.calls).toEqual([...PREFLIGHT, compose('down')]);

    const purge = fakeDocker();
    await purge.stack.down({ purge: true });
    expect(purge.calls).toEqual([...PREFLIGHT, compose('down', '-v')]);
  });

  it('status lists the services and their containers', async () => {
    const { calls, stack } = fakeDocker();
    await stack.status();
    expect(calls).toEqual([...PREFLIGHT, compose('config', '--services'), compose('ps', '--all', '--format', 'json')]);
  });

  it('logs tails one service without colour or prefixes', async () => {
    const { calls, stack } = fakeDocker();
    expect(await stack.logs('kafka', 50)).toContain('Kafka Server started');
    expect(calls).toEqual([...PREFLIGHT, compose('config', '--services'), compose('logs', '--no-color', '--no-log-prefix', '--tail', '50', 'kafka')]);
  });

  it('logs refuses a service the compose file does not have, naming the real ones', async () => {
    const { calls, stack } = fakeDocker();
    await expect(stack.logs('zookeeper', 10)).rejects.toThrow(
      'unknown service "zookeeper"; the services are: network, temporal, kafka, schema-registry, flink-jobmanager, flink-taskmanager, flink-sql-gateway',
    );
    expect(calls.some((args) => args.includes('logs'))).toBe(false);
  });

  it('the follow command streams the same log with --follow', () => {
    const { stack } = fakeDocker();
    expect(stack.followLogsCommand('flink-jobmanager', 20)).toEqual({
      executable: 'docker',
      args: compose('logs', '--follow', '--no-color', '--no-log-prefix', '--tail', '20', 'flink-jobmanager'),
    });
  });

  it('checks the engine once per DockerStack', async () => {
    const { calls, stack } = fakeDocker();
    await stack.status();
    await stack.down();
    expect(calls.filter((args) => args[0] === 'info')).toHaveLength(1);
  });

  it('uses the compose file at the repository root by default', () => {
    expect(DOCKER_COMPOSE_FILE).toBe(join(REPO_ROOT, 'docker-compose.yml'));
    expect(existsSync(DOCKER_COMPOSE_FILE)).toBe(true);
    expect(new DockerStack().composeFile).toBe(DOCKER_COMPOSE_FILE);
  });
});

describe('DockerStack without a usable Docker', () => {
  it('says the engine is unreachable when docker info fails, and suggests the local stack', async () => {
    const { calls, stack } = fakeDocker((args) =>
      args[0] === 'info' ? failed('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n') : undefined,
    );
    const error = await stack.up().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackError);
    expect((error as StackError).message).toBe(
      'TRIBUTARY_STACK=docker needs a running Docker engine, but `docker info` failed ' +
        '(Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?) ' +
        '— start Docker, or use the default local stack: unset TRIBUTARY_STACK',
    );
    expect((error as StackError).message).not.toContain('\n');
    expect(calls).toEqual([PREFLIGHT[0]]);
  });

  it('says docker is missing when the command does not exist', async () => {
    const { stack } = fakeDocker(() => Object.assign(new Error('spawn docker ENOENT'), { code: 'ENOENT' }));
    await expect(stack.status()).rejects.toThrow(
      'TRIBUTARY_STACK=docker needs Docker, but there is no `docker` command on PATH — install Docker, or use the default local stack: unset TRIBUTARY_STACK',
    );
  });

  it('says the compose plugin is missing when docker compose does not run', async () => {
    const { stack } = fakeDocker((args) => (args[0] === 'compose' && args[1] === 'version' ? failed('docker: unknown command: docker compose\n\nRun \'docker --help\' for more information\n') : undefined));
    await expect(stack.down()).rejects.toThrow(
      'TRIBUTARY_STACK=docker needs the Docker Compose v2 plugin, but `docker compose version` failed (docker: unknown command: docker compose) ' +
        '— install it, or use the default local stack: unset TRIBUTARY_STACK',
    );
  });

  it('says the engine did not answer when docker info times out', async () => {
    const { stack } = fakeDocker((args) => (args[0] === 'info' ? { ...failed('', 0), exitCode: null, signal: 'SIGTERM', timedOut: true } : undefined));
    await expect(stack.up()).rejects.toThrow(
      'TRIBUTARY_STACK=docker needs a running Docker engine, but `docker info` did not answer within 30s — start or restart Docker, or use the default local stack: unset TRIBUTARY_STACK',
    );
  });

  it('when up fails, names the services that are not healthy and where to look', async () => {
    const { stack } = fakeDocker((args) => (args.includes('up') ? failed('dependency failed to start: container tributary-flink-taskmanager-1 exited (137)\n') : undefined));
    const error = await stack.up().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackError);
    expect((error as StackError).message).toBe(
      [
        'docker compose up -d --wait failed (exit code 1):',
        'dependency failed to start: container tributary-flink-taskmanager-1 exited (137)',
        'not healthy: kafka (starting), schema-registry (unhealthy), flink-taskmanager (exited, exit code 137), flink-sql-gateway (not created)',
        'see why: tributary stack logs kafka',
      ].join('\n'),
    );
  });

  it('when up fails on a taken port, says to stop whatever holds it', async () => {
    const { stack } = fakeDocker((args) =>
      args.includes('up')
        ? failed('Error response from daemon: driver failed programming external connectivity on endpoint tributary-network-1: Bind for 127.0.0.1:9092 failed: port is already allocated\n')
        : undefined,
    );
    await expect(stack.up()).rejects.toThrow('a port the stack publishes is taken: stop the local stack (`tributary stack down` without TRIBUTARY_STACK) or whatever else holds it');
  });
});

describe('spawnCommandRunner (the real runner)', () => {
  it('captures stdout and stderr, reports each line, and resolves with a non-zero exit code', async () => {
    const lines: string[] = [];
    const result = await spawnCommandRunner(process.execPath, ['-e', 'console.log("one\\ntwo"); console.error("three"); process.stdout.write("four"); process.exitCode = 3'], {
      timeoutMs: 10_000,
      onLine: (line) => lines.push(line),
    });
    expect(result).toEqual({ exitCode: 3, signal: null, stdout: 'one\ntwo\nfour', stderr: 'three\n', timedOut: false });
    expect([...lines].sort()).toEqual(['four', 'one', 'three', 'two']);
  });

  it('stops a command that outlives its timeout', async () => {
    const result = await spawnCommandRunner(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { timeoutMs: 200 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGTERM');
  });

  it('rejects with ENOENT when the executable does not exist', async () => {
    await expect(spawnCommandRunner('tributary-no-such-docker', [], { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('docker compose ps parsing', () => {
  it('reads the JSON-lines form of newer Compose into one status per service', () => {
    const status = serviceStatuses(SERVICES, PS_JSON_LINES);
    expect(status).toEqual([
      {
        service: 'network',
        state: 'healthy',
        container: 'tributary-network-1',
        image: 'busybox:1.37',
        exitCode: undefined,
        detail: 'Up 3 minutes (healthy)',
        ports: [
          '127.0.0.1:7233->7233/tcp',
          '127.0.0.1:8081->8081/tcp',
          '127.0.0.1:8083->8083/tcp',
          '127.0.0.1:8085->8085/tcp',
          '127.0.0.1:8233->8233/tcp',
          '127.0.0.1:9092->9092/tcp',
        ],
      },
      { service: 'temporal', state: 'healthy', container: 'tributary-temporal-1', image: 'temporalio/temporal:1.5.1', exitCode: undefined, detail: 'Up 3 minutes (healthy)', ports: [] },
      { service: 'kafka', state: 'starting', container: 'tributary-kafka-1', image: 'apache/kafka:4.1.1', exitCode: undefined, detail: 'Up 20 seconds (health: starting)', ports: [] },
      { service: 'schema-registry', state: 'unhealthy', container: 'tributary-schema-registry-1', image: 'apicurio/apicurio-registry:3.0.9', exitCode: undefined, detail: 'Up 4 minutes (unhealthy)', ports: [] },
      { service: 'flink-jobmanager', state: 'healthy', container: 'tributary-flink-jobmanager-1', image: 'tributary-flink-jobmanager', exitCode: undefined, detail: 'Up 2 minutes (healthy)', ports: [] },
      { service: 'flink-taskmanager', state: 'exited', container: 'tributary-flink-taskmanager-1', image: 'tributary-flink-taskmanager', exitCode: 137, detail: 'Exited (137) 5 seconds ago', ports: [] },
      { service: 'flink-sql-gateway', state: 'not created', container: undefined, image: undefined, exitCode: undefined, detail: '', ports: [] },
    ]);
    expect(everyServiceHealthy(status)).toBe(false);
  });

  it('reads the JSON-array form of older Compose the same way', () => {
    const status = serviceStatuses(['temporal', 'kafka', 'flink-taskmanager'], PS_JSON_ARRAY);
    expect(status.map((s) => [s.service, s.state, s.container, s.exitCode])).toEqual([
      ['temporal', 'healthy', 'tributary-temporal-1', undefined],
      ['kafka', 'running', 'tributary-kafka-1', undefined],
      ['flink-taskmanager', 'exited', 'tributary-flink-taskmanager-1', 1],
    ]);
    expect(parseComposePs(PS_JSON_ARRAY)).toHaveLength(3);
  });

  it('reads health from the status text when the Health field is absent', () => {
    const line = JSON.stringify({ Service: 'kafka', Name: 'tributary-kafka-1', State: 'running', Status: 'Up 2 minutes (health: starting)' });
    expect(serviceStatuses(['kafka'], line)[0]?.state).toBe('starting');
  });

  it('treats empty output (nothing created yet) as every service not created', () => {
    const status = serviceStatuses(SERVICES, '\n');
    expect(status.every((s) => s.state === 'not created')).toBe(true);
    expect(everyServiceHealthy(status)).toBe(false);
  });

  it('counts a stack healthy only when every service is', () => {
    const healthy = PS_JSON_LINES.split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .map((entry) => JSON.stringify({ ...entry, State: 'running', Health: 'healthy' }))
      .join('\n');
    expect(everyServiceHealthy(serviceStatuses(SERVICES.slice(0, 6), healthy))).toBe(true);
  });

  it('fails with the offending text when the output is not JSON', () => {
    expect(() => parseComposePs('NAME IMAGE STATUS')).toThrow(StackError);
  });
});

/** `host:container` pairs of every `ports:` entry in a compose file, read as text. */
function publishedPorts(composeText: string): { hostIp: string | undefined; host: number; container: number }[] {
  const found: { hostIp: string | undefined; host: number; container: number }[] = [];
  let portsIndent: number | undefined;
  for (const line of composeText.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (/^\s*ports:\s*$/.test(line)) {
      portsIndent = indent;
      continue;
    }
    if (portsIndent === undefined || line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (indent <= portsIndent) {
      portsIndent = undefined;
      continue;
    }
    const entry = /^\s*-\s*["']?(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+):(\d+)(?:\/tcp)?["']?\s*(?:#.*)?$/.exec(line);
    if (!entry) throw new Error(`unreadable ports entry in docker-compose.yml: ${line.trim()}`);
    found.push({ hostIp: entry[1], host: Number(entry[2]), container: Number(entry[3]) });
  }
  return found;
}

/** The text of each service under the top-level `services:` key. */
function serviceBlocks(composeText: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let inServices = false;
  let current: string | undefined;
  for (const line of composeText.split('\n')) {
    if (/^\S/.test(line) && !line.startsWith('#')) {
      inServices = /^services:\s*$/.test(line);
      current = undefined;
      continue;
    }
    if (!inServices) continue;
    const name = /^ {2}([a-z][\w-]*):\s*$/.exec(line)?.[1];
    if (name) {
      current = name;
      blocks.set(name, '');
    } else if (current) {
      blocks.set(current, `${blocks.get(current) ?? ''}${line}\n`);
    }
  }
  return blocks;
}

describe('docker-compose.yml stays in step with the local stack', () => {
  const composeText = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
  const dockerfile = readFileSync(join(REPO_ROOT, 'deploy', 'flink', 'Dockerfile'), 'utf8');

  it('publishes every client-facing port of the local stack, on 127.0.0.1 and the same port inside', () => {
    const published = publishedPorts(composeText);
    const clientPorts = [STACK_PORTS.temporalGrpc, STACK_PORTS.temporalUi, STACK_PORTS.kafka, STACK_PORTS.flinkRest, STACK_PORTS.flinkSqlGateway, STACK_PORTS.schemaRegistry];
    expect(clientPorts).toEqual([7233, 8233, 9092, 8081, 8083, 8085]);
    for (const port of clientPorts) {
      const entry = published.find((p) => p.host === port);
      expect(entry, `host port ${port} is not published by any service`).toBeDefined();
      // Inside the shared network namespace, Flink jobs reach Kafka and the registry at the configured ports.
      expect(entry?.container).toBe(port);
      expect(entry?.hostIp).toBe('127.0.0.1');
    }
  });

  it('gives every service a healthcheck and a memory limit', () => {
    const blocks = serviceBlocks(composeText);
    // The dashboards sit behind a profile, so `docker compose up` (the docker stack) starts only the stack's servers.
    const profiled = [...blocks].filter(([, block]) => /^ {4}profiles: \["monitoring"\]$/m.test(block)).map(([name]) => name);
    expect(profiled).toEqual(['prometheus', 'grafana']);
    expect([...blocks.keys()].filter((name) => !profiled.includes(name))).toEqual(SERVICES);
    for (const [name, block] of blocks) {
      expect(block, `${name} has no healthcheck`).toMatch(/^ {4}healthcheck:/m);
      expect(block, `${name} has no memory limit`).toMatch(/^ {4}mem_limit: \d+[mg]$/m);
    }
  });

  it('runs the versions the local stack installs', () => {
    expect(composeText).toContain(`image: temporalio/temporal:${STACK_VERSIONS.temporalCli}\n`);
    expect(composeText).toContain(`image: apache/kafka:${STACK_VERSIONS.kafka}\n`);
    expect(composeText).toContain(`image: apicurio/apicurio-registry:${STACK_VERSIONS.apicurioRegistry}\n`);
    expect(composeText).toContain(`flink:${STACK_VERSIONS.flink}-scala_2.12-java17`);
    expect(dockerfile).toContain(`ARG FLINK_IMAGE=flink:${STACK_VERSIONS.flink}-scala_2.12-java17\n`);
    expect(dockerfile).toContain(`ARG KAFKA_CONNECTOR_VERSION=${STACK_VERSIONS.flinkKafkaConnector}\n`);
    expect(dockerfile).toContain(`ARG AVRO_REGISTRY_FORMAT_VERSION=${STACK_VERSIONS.flinkAvroConfluentRegistry}\n`);
  });

  it('writes Flink properties as key:value with no spaces (the image entrypoint mangles spaces)', () => {
    const block = /^ {2}FLINK_PROPERTIES: \|\n((?: {4}.*\n)+)/m.exec(composeText)?.[1];
    expect(block).toBeDefined();
    const properties = (block ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
    expect(properties.length).toBeGreaterThan(10);
    for (const property of properties) expect(property).toMatch(/^[a-z][\w.-]*:\S+$/);
    expect(properties).toContain(`rest.port:${STACK_PORTS.flinkRest}`);
    expect(properties).toContain(`sql-gateway.endpoint.rest.port:${STACK_PORTS.flinkSqlGateway}`);
    expect(properties).toContain('taskmanager.numberOfTaskSlots:4');
  });

  it('registers every Tributary search attribute with the Temporal dev server', () => {
    for (const { name, type } of TRIBUTARY_SEARCH_ATTRIBUTES) {
      expect(composeText).toMatch(new RegExp(`- --search-attribute\\n\\s+- ${name}=${type}\\n`));
    }
  });
});
