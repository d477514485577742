import { defineConfig } from 'vitest/config';

/**
 * The browser suite (`npm run test:browser`): drives Debian's Chromium headless through
 * playwright-core against the browser example. Kept out of `npm test` (vitest.config.ts excludes
 * test/browser/) because it needs a Chromium binary that CI machines may not have.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
