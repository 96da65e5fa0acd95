/**
 * Everything the demo starts, stopped in reverse order at the end or on Ctrl-C: the last thing
 * started is the first stopped, so the scorer stops before the topics it reads are deleted.
 */
import { reasonOf } from '../../../src/errors/tributary-error.js';

export class DemoResources {
  private readonly stops: { readonly name: string; readonly stop: () => Promise<unknown> }[] = [];

  /** Registers how to stop something just started. */
  add(name: string, stop: () => Promise<unknown>): void {
    this.stops.push({ name, stop });
  }

  /** Stops everything registered, newest first; a failure is reported and the rest still stop. */
  async stopAll(report: (line: string) => void): Promise<void> {
    for (const { name, stop } of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        report(`stopping ${name} failed: ${reasonOf(error)}`);
      }
    }
  }
}
