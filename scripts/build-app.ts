/**
 * `npm run build:app [-- OUT_DIR]`: the vitlens app (examples/browser/) as a static folder,
 * default dist-app/, that any static host serves as it is:
 *
 *   index.html, main.js (minified; `vitlens/app` resolved to src/app/index.ts), main.js.map,
 *   assets/fmnist-vit/{config.json, model.safetensors}, assets/images/*.png
 *
 * Prints the folder's size and the app bundle's size minified and gzipped.
 */
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BuiltApp {
  dir: string;
  /** Bytes of every file in the folder. */
  totalBytes: number;
  /** main.js, minified, and gzipped. */
  bundleBytes: number;
  bundleGzipBytes: number;
}

function folderBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

/** Bundles esbuild `entry` for browsers, minified (sizes of the library are measured the same way). */
export async function bundleForBrowser(entry: string, opts: { minify?: boolean } = {}): Promise<{ js: string; map: string }> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: opts.minify ?? true,
    sourcemap: 'external',
    outfile: 'main.js', // names the files in memory
    write: false,
    logLevel: 'silent',
    alias: { 'vitlens/app': join(root, 'src/app/index.ts'), vitlens: join(root, 'src/index.ts') },
  });
  const js = r.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const map = r.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
  return { js, map };
}

export async function buildApp(dir = join(root, 'dist-app')): Promise<BuiltApp> {
  const { js, map } = await bundleForBrowser(join(root, 'examples/browser/main.ts'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'main.js'), js);
  writeFileSync(join(dir, 'main.js.map'), map);
  cpSync(join(root, 'examples/browser/index.html'), join(dir, 'index.html'));
  cpSync(join(root, 'assets/fmnist-vit'), join(dir, 'assets/fmnist-vit'), { recursive: true });
  cpSync(join(root, 'assets/images'), join(dir, 'assets/images'), { recursive: true });
  return { dir, totalBytes: folderBytes(dir), bundleBytes: Buffer.byteLength(js), bundleGzipBytes: gzipSync(js).length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  try {
    const out = await buildApp(process.argv[2] ? resolve(process.argv[2]) : undefined);
    const lib = await bundleForBrowser(join(root, 'src/index.ts'));
    console.log(`app written to ${out.dir}: ${kb(out.totalBytes)} in all (with the bundled model and samples)`);
    console.log(`  main.js ${kb(out.bundleBytes)} minified, ${kb(out.bundleGzipBytes)} gzipped`);
    console.log(`library entry (vitlens) for browsers: ${kb(Buffer.byteLength(lib.js))} minified, ${kb(gzipSync(lib.js).length)} gzipped`);
  } catch (e) {
    console.error(`build:app failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
