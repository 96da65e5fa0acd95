import { loadConfig } from '../../src/config/config.js';
import { localStack } from '../../src/stack/stack-components.js';
import { createStackContext } from '../../src/stack/stack-context.js';

/**
 * Brings the real local stack up once per test run, reusing whatever is already running,
 * and afterwards stops exactly the components this run started.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const began = Date.now();
  const progress = (line: string): void => {
    process.stderr.write(`[stack ${((Date.now() - began) / 1000).toFixed(1)}s] ${line}\n`);
  };
  const stack = localStack(createStackContext(loadConfig(), progress));
  const { started, alreadyRunning } = await stack.up();
  progress(`ready: started ${started.join(', ') || 'nothing'}; reused ${alreadyRunning.join(', ') || 'nothing'}`);
  return async () => {
    if (started.length > 0) await stack.down(started);
  };
}
