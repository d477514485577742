/**
 * The `vitlens` entry point is for browsers and other people's WebGPU apps: bundling it for the
 * browser must need no Node built-in and no Dawn. esbuild (tsup's bundler) resolves the whole
 * import graph and fails on any `node:` or `webgpu` import.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

describe('browser entry point', () => {
  it('bundles for the browser with no Node built-ins and no Dawn', async () => {
    const r = await build({
      entryPoints: [`${repoRoot}/src/index.ts`],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [{
        name: 'forbid-node',
        setup(b) {
          b.onResolve({ filter: /^(node:|webgpu$|pngjs$|jpeg-js$|fs$|path$)/ }, (a) => ({ errors: [{ text: `${a.importer} imports ${a.path}` }] }));
        },
      }],
    });
    expect(r.errors).toEqual([]);
    expect(r.outputFiles[0].text.length).toBeGreaterThan(10_000);
    // The app (DOM code) is its own entry, vitlens/app: none of it in the library.
    expect(r.outputFiles[0].text).not.toMatch(/customElements|HTMLElement|document\.createElement/);
  });

  it('the app entry (vitlens/app) bundles for the browser too', async () => {
    const r = await build({ entryPoints: [`${repoRoot}/src/app/index.ts`], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });
    expect(r.errors).toEqual([]);
    expect(r.outputFiles[0].text).toMatch(/customElements/);
  });
});
