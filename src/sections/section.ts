/**
 * One section of `tributary status` or of a model's report: its figures, or one line saying why
 * they are unavailable. A section never throws and never waits longer than its timeout, so one
 * service that is down (or hangs) costs the screen that section only. Both use it, so it lives in
 * a folder of its own rather than inside either.
 */
import { reasonOf } from '../errors/tributary-error.js';

export type Section<Value> = { readonly available: true; readonly value: Value } | { readonly available: false; readonly reason: string };

export const unavailable = (reason: string): Section<never> => ({ available: false, reason });

/** Runs `work`, turning a failure or a timeout into an unavailable section with the reason. */
export async function gatherSection<Value>(work: () => Promise<Value>, timeoutMs: number): Promise<Section<Value>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Section<Value>>((resolve) => {
    timer = setTimeout(() => resolve(unavailable(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([work().then((value): Section<Value> => ({ available: true, value }), (error: unknown) => unavailable(reasonOf(error))), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
