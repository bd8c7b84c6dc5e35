import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real sockets and child processes come in later suites; keep one worker per core.
    pool: 'forks',
    reporters: ['default', './test/support/summaryReporter.ts'],
  },
});
