import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests beside the code, and integration tests against real services.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'connectors/**/*.test.ts', 'test/conformance/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.int.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/helpers/influx-global-setup.ts', 'test/helpers/kafka-global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
