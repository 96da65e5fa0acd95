import type { Random } from './prng.js';

/**
 * Hands out device ids (`dev-` and 12 hex digits), each at most once per run, so a device given to
 * a fraudster or a new phone is certainly one the card has never used.
 */
export class DeviceIssuer {
  private readonly issued = new Set<string>();

  issue(random: Random): string {
    for (;;) {
      const id = `dev-${random.hex(12)}`;
      if (!this.issued.has(id)) {
        this.issued.add(id);
        return id;
      }
    }
  }
}
