/** Where the package's bundled assets are, from the source tree or the built dist/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'vitlens') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the vitlens package root');
    dir = up;
  }
}

/** The bundled trained Fashion-MNIST ViT (timm hub layout). */
export const bundledModelDir = () => join(packageRoot(), 'assets/fmnist-vit');
export const bundledImagesDir = () => join(packageRoot(), 'assets/images');
