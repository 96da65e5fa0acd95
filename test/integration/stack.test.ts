import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import axios from 'axios';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { localStack } from '../../src/stack/stack-components.js';
import { createStackContext } from '../../src/stack/stack-context.js';
import { stackLayout } from '../../src/stack/stack-layout.js';
import { uniqueName } from '../helpers/kafka.js';

/**
 * What the running broker says its version is: the last `Kafka version: X` line AppInfoParser
 * wrote to the broker's log, with the `Kafka startTimeMs` printed beside it, so the caller can tell
 * it came from the process running now and not from an earlier one.
 */
function brokerVersionFromItsLog(logText: string): { version: string; startTimeMs: number } | undefined {
  const lines = logText.split('\n');
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const version = /INFO Kafka version: (\S+) \(org\.apache\.kafka\.common\.utils\.AppInfoParser\)$/.exec(lines[index]!)?.[1];
    if (version === undefined) continue;
    const startTimeMs = lines
      .slice(index + 1, index + 4)
      .map((line) => /INFO Kafka startTimeMs: (\d+) \(org\.apache\.kafka\.common\.utils\.AppInfoParser\)$/.exec(line)?.[1])
      .find((found) => found !== undefined);
    return startTimeMs === undefined ? undefined : { version, startTimeMs: Number(startTimeMs) };
  }
  return undefined;
}

describe('the running local stack', () => {
  const config = loadConfig();

  it('reports every component healthy with its version through `tributary stack status`', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'stack', 'status', '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const status = JSON.parse(result.stdout) as { name: string; state: string; pid?: number; report?: { version: string } }[];
    expect(status.map((s) => [s.name, s.state])).toEqual([
      ['kafka', 'healthy'],
      ['schema-registry', 'healthy'],
      ['temporal', 'healthy'],
      ['flink-jobmanager', 'healthy'],
      ['flink-taskmanager', 'healthy'],
      ['flink-sql-gateway', 'healthy'],
    ]);
    // Kafka's version as the running broker states it (the status line reports the pinned one).
    const kafka = status.find((s) => s.name === 'kafka');
    const layout = stackLayout(config);
    const started = JSON.parse(readFileSync(layout.pidFile('kafka'), 'utf8')) as { pid: number; startedAt: string };
    expect(started.pid).toBe(kafka?.pid);
    const stated = brokerVersionFromItsLog(readFileSync(layout.logFile('kafka'), 'utf8'));
    expect(stated?.startTimeMs).toBeGreaterThanOrEqual(Date.parse(started.startedAt));
    expect(stated?.version).toBe('4.1.1');
    expect(kafka?.report?.version).toBe(stated?.version);
    expect(status.find((s) => s.name === 'temporal')?.report?.version).toMatch(/^server 1\.\d+\.\d+, cli 1\.5\.1$/);
    expect(status.find((s) => s.name === 'flink-jobmanager')?.report?.version).toBe('2.2.1');
  });

  it('serves the Temporal Web UI, backed by the server', async () => {
    const page = await axios.get<string>(config.temporal.uiUrl, { timeout: 10_000, responseType: 'text' });
    expect(page.data).toMatch(/^<!doctype html>/i);
    // The UI's own API proxies to the frontend: it only answers with the namespace when both work.
    const namespace = await axios.get<{ namespaceInfo: { name: string; state: string } }>(`${config.temporal.uiUrl}/api/v1/namespaces/${config.temporal.namespace}`, { timeout: 10_000 });
    expect(namespace.data.namespaceInfo).toMatchObject({ name: config.temporal.namespace, state: 'NAMESPACE_STATE_REGISTERED' });
    const settings = await axios.get<{ Version: string }>(`${config.temporal.uiUrl}/api/v1/settings`, { timeout: 10_000 });
    expect(settings.data.Version).toMatch(/^2\.\d+\.\d+$/);
  });

  it('keeps registered schemas when the registry is restarted', async () => {
    const registry = new SchemaRegistry({ host: config.schemaRegistry.url });
    const subject = `${uniqueName('restart')}-value`;
    const schema = { type: 'record' as const, name: 'Restart', fields: [{ name: 'id', type: 'string' }] };
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY.BACKWARD });

    const stack = localStack(createStackContext(config, () => undefined));
    expect(await stack.down(['schema-registry'])).toEqual(['schema-registry']);
    const restarted = await stack.up();
    expect(restarted.started).toEqual(['schema-registry']);

    const latest = await axios.get<{ id: number }>(`${config.schemaRegistry.url}/subjects/${subject}/versions/latest`, { timeout: 10_000 });
    expect(latest.data.id).toBe(id);
  });
});
