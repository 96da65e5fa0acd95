/** The local stack's components as `tributary stack status` sees them, one row each. */
import type { TributaryConfig } from '../config/config.js';
import { localStack } from '../stack/stack-components.js';
import { createStackContext } from '../stack/stack-context.js';

export interface StackComponentRow {
  readonly name: string;
  /** healthy, UNHEALTHY, DOWN (process gone) or stopped. */
  readonly state: string;
  /** Version and endpoints when healthy, the reason otherwise. */
  readonly detail: string;
}

export async function stackHealth(config: TributaryConfig): Promise<StackComponentRow[]> {
  if (config.stack.mode === 'docker') throw new Error('the stack runs in Docker (stack.mode=docker); see `tributary stack status`');
  const status = await localStack(createStackContext(config, () => undefined)).status();
  return status.map((component) => {
    switch (component.state) {
      case 'healthy':
        return { name: component.name, state: 'healthy', detail: `${component.report.version}; ${Object.entries(component.report.endpoints).map(([key, url]) => `${key}=${url}`).join(' ')}` };
      case 'unhealthy':
        return { name: component.name, state: 'UNHEALTHY', detail: component.reason };
      case 'dead':
        return { name: component.name, state: 'DOWN (process gone)', detail: 'run `tributary stack up` to restart it' };
      case 'stopped':
        return { name: component.name, state: 'stopped', detail: 'not started by this stack (or stopped)' };
    }
  });
}
