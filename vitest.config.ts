import { defineConfig } from 'vitest/config';
import swc from 'unplugin-swc';

/**
 * One test run for the whole repository. SWC compiles the TypeScript so NestJS's decorator
 * metadata (`emitDecoratorMetadata`) is present, which esbuild-based transforms drop.
 */
export default defineConfig({
  plugins: [
    // The console's React components: TSX with the automatic JSX runtime.
    swc.vite({
      include: /\.tsx$/,
      jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } }, target: 'es2023' },
    }),
    swc.vite({
      exclude: [/\.tsx$/, /node_modules/],
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2023',
      },
    }),
  ],
  test: {
    include: ['{protocol,agent,control-plane,console,test}/src/**/*.test.{ts,tsx}'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/src/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
