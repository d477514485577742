/**
 * Runs bench/torch_vit.py with Debian's python3-torch, when it is importable, for reference
 * timings in the same run. OMP_WAIT_POLICY=PASSIVE keeps PyTorch's OpenMP threads from fighting
 * OpenBLAS's (see ../shared/PLATFORM.md). Reports which BLAS torch is linked against: with
 * Debian's reference libblas3 instead of OpenBLAS, PyTorch is ~20x slower and the ratio is
 * meaningless (install libopenblas0-pthread).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.VITLENS_PYTHON ?? '/usr/bin/python3';

export interface TorchInfo {
  version: string;
  blas: string;
}

export function torchInfo(): TorchInfo | null {
  if (!existsSync(PYTHON)) return null;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  let blas = 'unknown';
  try {
    blas = realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3').includes('openblas') ? 'OpenBLAS' : 'reference BLAS (slow: install libopenblas0-pthread)';
  } catch {
    /* not Debian's alternatives layout */
  }
  return { version: r.stdout.trim(), blas };
}

export interface TorchPlanEntry {
  mode: string;
  batch: number;
  reps: number;
  /** Untimed runs first (default 1). */
  warmup?: number;
}

export interface TorchConfig {
  dim: number;
  depth: number;
  heads: number;
  patch: number;
  img: number;
  classes: number;
  /** modes x batches, each timed `reps` times ... */
  batches?: number[];
  reps?: number;
  modes?: string[];
  /** ... or an explicit list (replaces modes x batches). */
  plan?: TorchPlanEntry[];
  /** torch threads (default 2). */
  threads?: number;
  /** Images per batched forward in IG / SmoothGrad (torch_explain.py, default 32). */
  chunk?: number;
}

/** The plain-torch ViT of a vitlens config (same shapes; torch_vit.py draws its own random weights). */
export function torchShape(c: { embedDim: number; depth: number; numHeads: number; patchSize: readonly number[]; imgSize: readonly number[]; numClasses: number }) {
  return { dim: c.embedDim, depth: c.depth, heads: c.numHeads, patch: c.patchSize[0], img: c.imgSize[0], classes: c.numClasses };
}

/**
 * Median ms per `mode/bB` (null for a mode that failed in Python), or null when torch is not
 * available. `script`: torch_vit.py (forward / backward modes) or torch_explain.py (also the
 * explanation methods).
 */
export function torchTimings(cfg: TorchConfig, script: 'torch_vit.py' | 'torch_explain.py' = 'torch_vit.py'): Record<string, number | null> | null {
  if (!torchInfo()) return null;
  const out = execFileSync(PYTHON, [join(here, '..', script), JSON.stringify(cfg)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}
