import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node/index.ts', cli: 'src/cli/main.ts', app: 'src/app/index.ts' },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { index: 'src/index.ts', node: 'src/node/index.ts', app: 'src/app/index.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
  // Dawn's native module and the Node-only decoders stay external.
  external: ['webgpu', 'pngjs', 'jpeg-js'],
});
