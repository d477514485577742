/**
 * Builds the vitlens app (examples/browser/, see scripts/build-app.ts) and serves the built folder:
 *
 *   npm run example:browser            # http://127.0.0.1:8173/
 *   npm run example:browser -- 9000    # another port (0: any free one)
 *
 * The server is a plain static file server on 127.0.0.1 (node:http), as any static host would
 * serve dist-app/: it shows that the built folder needs nothing else. The browser test
 * (test/browser/) builds into a temporary folder and serves it through `startStaticServer`.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildApp } from './build-app.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
  '.safetensors': 'application/octet-stream',
};

export interface ExampleServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves the files under `dir` on 127.0.0.1:`port` (0: any free port); nothing outside `dir`. */
export async function startStaticServer(dir: string, port = 0): Promise<ExampleServer> {
  const top = resolve(dir);
  const server = createServer((req, res) => {
    const send = (status: number, type: string, body: string | Uint8Array) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(body);
    };
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'text/plain', 'bad request');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed');
    const file = resolve(top, normalize(`.${path.endsWith('/') ? `${path}index.html` : path}`));
    if (!file.startsWith(top + sep)) return send(404, 'text/plain', `not found: ${path}`);
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
    const app = await buildApp();
    const s = await startStaticServer(app.dir, port);
    console.log(`vitlens app (${join(app.dir)}): ${s.url}  (needs a browser with WebGPU; Ctrl-C stops)`);
  } catch (e) {
    console.error(`could not start the example server: ${(e as Error).message}`);
    process.exit(1);
  }
}
