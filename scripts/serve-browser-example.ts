/**
 * Builds and serves the browser example (examples/browser/):
 *
 *   npm run example:browser            # http://127.0.0.1:8173/
 *   npm run example:browser -- 9000    # another port (0: any free one)
 *
 * examples/browser/main.ts is bundled for the browser with esbuild, in memory, with `vitlens`
 * resolved to this repository's src/index.ts (the browser entry), so no `npm run build` is
 * needed. The server is plain node:http on 127.0.0.1 and serves three things only:
 *   /            examples/browser/index.html
 *   /main.js     the bundle (and /main.js.map)
 *   /assets/...  the repository's assets/ folder (the bundled model and images)
 * The browser test (test/browser/) starts the same server through `startExampleServer`.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const exampleDir = join(root, 'examples/browser');
const assetsDir = join(root, 'assets');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.safetensors': 'application/octet-stream',
};

/** Bundles examples/browser/main.ts for the browser; returns main.js and its source map. */
export async function bundleExample(): Promise<{ js: string; map: string }> {
  const r = await build({
    entryPoints: [join(exampleDir, 'main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: 'external',
    outfile: 'main.js', // names the files in memory; nothing is written
    write: false,
    logLevel: 'silent',
    alias: { vitlens: join(root, 'src/index.ts') },
  });
  const js = r.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const map = r.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
  return { js, map };
}

export interface ExampleServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Bundles the example and serves it on 127.0.0.1:`port` (0: any free port). */
export async function startExampleServer(port = 0): Promise<ExampleServer> {
  const bundle = await bundleExample();
  const server = createServer((req, res) => {
    const send = (status: number, type: string, body: string | Uint8Array) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'text/plain', 'bad request');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed');
    if (path === '/main.js') return send(200, TYPES['.js'], bundle.js);
    if (path === '/main.js.map') return send(200, TYPES['.map'], bundle.map);
    let file: string | null = null;
    if (path === '/' || path === '/index.html') file = join(exampleDir, 'index.html');
    else if (path.startsWith('/assets/')) {
      // Stay inside assets/: no `..`, no absolute paths.
      const p = resolve(assetsDir, normalize(path.slice('/assets/'.length)));
      if (p.startsWith(assetsDir + sep)) file = p;
    }
    if (!file) return send(404, 'text/plain', `not found: ${path}`);
    readFile(file).then(
      (body) => send(200, TYPES[extname(file)] ?? 'application/octet-stream', body),
      () => send(404, 'text/plain', `not found: ${path}`),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}/`,
    server,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const arg = process.argv[2];
  const port = arg === undefined ? 8173 : Number(arg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`usage: npm run example:browser [-- PORT]  (got port ${JSON.stringify(arg)})`);
    process.exit(2);
  }
  try {
    const s = await startExampleServer(port);
    console.log(`vitlens browser example: ${s.url}  (needs a browser with WebGPU; Ctrl-C stops)`);
  } catch (e) {
    console.error(`could not start the example server: ${(e as Error).message}`);
    process.exit(1);
  }
}
