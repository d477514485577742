/** Loading a timm hub folder (config.json + model.safetensors) from disk. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { GpuContext } from '../gpu/context.js';
import { configFromHub, type VitConfig } from '../model/config.js';
import { loadModelFromConfig } from '../model/load.js';
import { readWeightsFile } from './convert.js';
import type { VisionTransformer } from '../model/vit.js';

export function readHubConfig(dir: string): VitConfig {
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ConfigError('no-model', `model folder ${dir} does not exist (expected a timm hub folder with config.json and model.safetensors)`);
  }
  if (!existsSync(cfgPath)) throw new ConfigError('no-config', `${dir} has no config.json (expected a timm hub folder)`);
  if (statSync(cfgPath).isDirectory()) throw new ConfigError('no-config', `${cfgPath} is a folder, expected a JSON file`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new ConfigError('bad-config', `${cfgPath} is not valid JSON: ${(e as Error).message}`);
  }
  return configFromHub(json, basename(dir));
}

export function loadModelDir(ctx: GpuContext, dir: string): VisionTransformer {
  const cfg = readHubConfig(dir);
  const weightsPath = join(dir, 'model.safetensors');
  if (!existsSync(weightsPath)) {
    throw new ConfigError('no-weights', `${dir} has no model.safetensors (convert a .pth checkpoint with \`vitlens convert\`)`);
  }
  return loadModelFromConfig(ctx, cfg, readWeightsFile(weightsPath), { source: weightsPath });
}
