import type { StackComponent, StackContext } from './component.js';
import { flinkJobManager, flinkSqlGateway, flinkTaskManager } from './components/flink.js';
import { LocalStack } from './local-stack.js';
import { kafka } from './components/kafka.js';
import { kafkaSecure } from './components/kafka-secure.js';
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

/** Started only by `stack up --secure`: a second broker with SASL_SSL, SCRAM users and ACLs. */
export const SECURE_COMPONENTS: readonly StackComponent[] = [kafkaSecure];

export interface LocalStackOptions {
  /** Include the secure-mode components. @default false */
  readonly secure?: boolean;
}

/** The local stack of every Tributary server (and, with `secure`, of the secure-mode ones). */
export const localStack = (ctx: StackContext, options: LocalStackOptions = {}): LocalStack =>
  new LocalStack(ctx, options.secure === true ? [...STACK_COMPONENTS, ...SECURE_COMPONENTS] : STACK_COMPONENTS);
