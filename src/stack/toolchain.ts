import { checkTool, type Tool } from '../toolchain/external-tools.js';
import { StackError } from './errors.js';

/** Fails with one line per missing tool, naming how to get each. */
export function requireTools(tools: Iterable<Tool>, env: NodeJS.ProcessEnv = process.env): void {
  const problems = [...new Set(tools)].map((tool) => checkTool(tool, env)).filter((p): p is string => !!p);
  if (problems.length > 0) {
    throw new StackError(`missing toolchain:\n  ${problems.join('\n  ')}`, { retriable: false });
  }
}
