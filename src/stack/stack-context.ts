import type { TributaryConfig } from '../config/config.js';
import type { Progress, StackContext } from './component.js';
import { stackLayout } from './stack-layout.js';

export function createStackContext(config: TributaryConfig, progress: Progress): StackContext {
  return { config, layout: stackLayout(config), progress };
}
