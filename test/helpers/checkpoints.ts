/** The checkpoint fixtures of test/fixtures/checkpoints (made by make_checkpoint_fixture.py). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, toFloat32 } from '../../src/io/safetensors.js';

export const CHECKPOINTS = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/checkpoints');

export const fixturePath = (name: string) => join(CHECKPOINTS, name);

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name)));
}

/** The float32 tensors torch wrote for a fixture (`<name>.expected.safetensors`), in file order. */
export function expectedTensors(name: string): Map<string, { shape: number[]; data: Float32Array }> {
  const f = parseSafetensors(fixture(`${name}.expected.safetensors`));
  return new Map([...f.tensors].map(([k, t]) => [k, { shape: t.shape, data: toFloat32(t) }]));
}
