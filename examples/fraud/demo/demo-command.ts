import { Command } from 'commander';
import type { CliEnvironment } from '../../../src/cli/cli-environment.js';
import { compileDemoOptions, DEMO_DEFAULTS, DEMO_LIMITS, DemoOptionsError, type DemoFlags, type DemoOptions } from './demo-options.js';

/**
 * `demo` (examples/fraud/cli.ts, `npm run demo`): the whole continuous-learning loop on this machine (see demo-run.ts).
 * Ctrl-C stops everything the demo started.
 */
export function demoCommand(cli: CliEnvironment): Command {
  return new Command('demo')
    .description(
      'run the continuous-learning loop end to end on this machine: stack, feature job, scorer, training on a threshold, ' +
        'drift, retraining, an A/B rollout ending in promotion, a feature-job upgrade mid-stream, and a summary (installs the stack on first use)',
    )
    .option('--duration <seconds>', `how long the simulator streams, ${DEMO_LIMITS.durationSeconds.min} to ${DEMO_LIMITS.durationSeconds.max} (default: ${DEMO_DEFAULTS.durationSeconds})`)
    .option('--rate <events-per-second>', `simulator events per second, ${DEMO_LIMITS.rate.min} to ${DEMO_LIMITS.rate.max} (default: ${DEMO_DEFAULTS.rate})`)
    .option('--seed <n>', `seeds the simulator, so a run can be repeated (default: ${DEMO_DEFAULTS.seed})`)
    .option('--manual', 'stop the rollout for your decision and print the `tributary promote` command to type')
    .option('--keep-running', 'leave the scorer, worker, feature job and topics running at the end (stop with Ctrl-C)')
    .action(async (flags: DemoFlags, command: Command) => {
      let options: DemoOptions;
      try {
        options = compileDemoOptions(flags);
      } catch (error) {
        if (error instanceof DemoOptionsError) command.error(error.problems.map((problem) => `error: ${problem}`).join('\n'), { exitCode: 2, code: 'tributary.invalidOption' });
        throw error;
      }
      const interrupt = new AbortController();
      const onSignal = (): void => interrupt.abort();
      process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
      try {
        // Imported here, not at the top, so `--help` does not load the demo's clients (Temporal, Kafka, TensorFlow.js).
        const [{ DemoRun }, { createDemoReporter }, { renderDemoSummary }] = await Promise.all([import('./demo-run.js'), import('./demo-reporter.js'), import('./demo-summary.js')]);
        const demo = new DemoRun(cli.config(), options, createDemoReporter(), interrupt.signal);
        const summary = await demo.run();
        cli.print(renderDemoSummary(summary));
        if (options.keepRunning) {
          cli.print(`\nStill running (Ctrl-C stops it). Look around with: TRIBUTARY_TOPIC_PREFIX=${summary.topicPrefix} TRIBUTARY_TEMPORAL_TASK_QUEUE=${summary.taskQueue} npx tributary status`);
          await new Promise<void>((resolve) => interrupt.signal.addEventListener('abort', () => resolve(), { once: true }));
          await demo.stop();
        }
      } finally {
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      }
    });
}
