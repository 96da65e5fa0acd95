/**
 * How the demo talks to the person watching: one line per step with the elapsed time, and a
 * progress bar that redraws in place while a long wait runs (on a terminal; elsewhere, such as
 * CI logs, a line every few seconds instead).
 */

export interface DemoReporter {
  /** A step begins: `[  12.3s] ▸ training the first model`. */
  step(title: string): void;
  /** A fact inside the current step: `[  14.0s]   champion v1 (prAuc 0.81)`. */
  note(line: string): void;
  /** Shows how far a wait has come; `done` and `total` in the same unit, `unit` names it. */
  progress(label: string, done: number, total: number, unit: string): void;
  /** Ends a progress bar, leaving the cursor on a fresh line. */
  endProgress(): void;
}

const BAR_WIDTH = 28;
const PLAIN_PROGRESS_EVERY_MS = 5_000;

export function createDemoReporter(write: (text: string) => void = (text) => process.stderr.write(text), interactive = process.stderr.isTTY, began = Date.now()): DemoReporter {
  let barShown = false;
  let lastPlainProgress = 0;
  const stamp = (): string => `[${((Date.now() - began) / 1000).toFixed(1).padStart(6)}s]`;
  const endProgress = (): void => {
    if (barShown) write('\n');
    barShown = false;
  };
  return {
    step(title) {
      endProgress();
      write(`${stamp()} ▸ ${title}\n`);
    },
    note(line) {
      endProgress();
      write(`${stamp()}   ${line}\n`);
    },
    progress(label, done, total, unit) {
      const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
      const filled = Math.round(fraction * BAR_WIDTH);
      const text = `${stamp()}   ${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.round(done)}/${Math.round(total)} ${unit}`;
      if (interactive) {
        write(`\r${text}\u001b[K`);
        barShown = true;
      } else if (Date.now() - lastPlainProgress >= PLAIN_PROGRESS_EVERY_MS) {
        write(`${text}\n`);
        lastPlainProgress = Date.now();
      }
    },
    endProgress,
  };
}
