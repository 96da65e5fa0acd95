import type { StackComponent, StackContext } from './component.js';
import { flinkJobManager, flinkSqlGateway, flinkTaskManager } from './components/flink.js';
import { LocalStack } from './local-stack.js';
import { kafka } from './components/kafka.js';
import { schemaRegistry } from './components/schema-registry.js';
import { temporal } from './components/temporal.js';

/** Every process of the local stack, in start order (and stopped in reverse). */
export const STACK_COMPONENTS: readonly StackComponent[] = [
  kafka,
  schemaRegistry,
  temporal,
  flinkJobManager,
  flinkTaskManager,
  flinkSqlGateway,
];

/** The local stack of every Tributary server. */
export const localStack = (ctx: StackContext): LocalStack => new LocalStack(ctx, STACK_COMPONENTS);
