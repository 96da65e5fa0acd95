/**
 * kafkajs's console logger, printing the same JSON lines, less one warning. kafkajs warns
 * "Limiting retries for the idempotent producer may invalidate EoS guarantees" for every
 * idempotent producer with bounded retries. Tributary bounds them on purpose, so that a send
 * fails instead of hanging while a broker is down, and each caller states what a failed send
 * means: exactly-once output is transactional, so an aborted transaction hides a half-sent
 * chunk; at-least-once output (the simulator, `serve --delivery at-least-once`) is sent again,
 * and duplicates are allowed there.
 */
import { logLevel, type logCreator } from 'kafkajs';

export const BOUNDED_IDEMPOTENT_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

export const tributaryKafkaLogCreator: logCreator = () => ({ namespace, level, label, log }) => {
  if (level === logLevel.WARN && log.message === BOUNDED_IDEMPOTENT_RETRIES_WARNING) return;
  const prefix = namespace ? `[${namespace}] ` : '';
  const line = JSON.stringify({ level: label, ...log, message: `${prefix}${log.message}` });
  if (level === logLevel.ERROR) console.error(line);
  else if (level === logLevel.WARN) console.warn(line);
  else if (level === logLevel.INFO) console.info(line);
  else console.log(line);
};
