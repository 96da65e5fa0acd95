import type { LogEntry } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WorkerLogger } from '../../src/worker/worker-logger.js';

describe('WorkerLogger', () => {
  it('drops only the SDK\'s warning about an activity-only worker, and passes every other entry on', () => {
    const entries: LogEntry[] = [];
    const logger = new WorkerLogger('INFO', (entry) => entries.push(entry));
    logger.warn('No workflows registered, not polling for workflow tasks');
    logger.info('No workflows registered, not polling for workflow tasks');
    logger.warn('Activity failed', { attempt: 2 });
    logger.debug('below the level');
    expect(entries.map(({ level, message }) => `${level} ${message}`)).toStrictEqual([
      'INFO No workflows registered, not polling for workflow tasks',
      'WARN Activity failed',
    ]);
  });
});
