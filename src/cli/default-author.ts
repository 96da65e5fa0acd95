import { userInfo } from 'node:os';

/** Who a change is recorded as when `--by` is not given: the OS user. */
export function defaultAuthor(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
