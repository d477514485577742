/** Locations of the shared real model and data (../shared/models, ../shared/data), when present. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(process.env.VITLENS_SHARED_DIR ?? join(here, '../../../shared'));

export const FMNIST_MODEL = join(shared, 'models/fmnist-vit');
export const FMNIST_TEST = join(shared, 'data/fmnist-test.safetensors');
export const haveFmnist = existsSync(join(FMNIST_MODEL, 'model.safetensors')) && existsSync(FMNIST_TEST);
