import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          // Replay tests need no server: they replay committed histories through the workflow code.
          include: ['test/unit/**/*.test.ts', 'test/replay/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          // Workflow tests run real workers on the real Temporal server, with fake activities.
          include: ['test/integration/**/*.test.ts', 'test/workflow/**/*.test.ts'],
          // Brings the real local stack up once per run (reusing a running one) and stops what it started.
          globalSetup: ['test/setup/stack.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // The servers are shared; files run one at a time so two suites never fight over the cluster's slots.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          name: 'faults',
          // Stops and kills the shared servers on purpose (and starts them again): `npm test` runs it last, after the
          // integration project, so no other test shares the servers while a fault is injected.
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/setup/stack.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
