/**
 * Attention-flow speed at ViT-B size: `npx tsx bench/flow.ts [images]`.
 *
 * Random softmax attention, L = 12 blocks, H = 12 heads, N = 197 tokens (each image: 197
 * max-flow problems on 13 x 197 nodes and 12 x 197^2 = 466k arcs). Prints the median time per
 * image of both variants (plus the rollout), after one warm-up image. If the golden deit_tiny
 * case is present, its real attention (L = 12, H = 3, N = 197) is timed too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { abnarRollout, attentionFlow, type FlowVariant } from '../src/explain/attention-graph.js';
import { parseSafetensors, toFloat32 } from '../src/io/safetensors.js';
import { mulberry32 as rng } from '../src/random.js';

const L = 12, H = 12, N = 197;
const images = Number(process.argv[2] ?? 5);


/** Softmax rows of N(0, scale^2) logits: peaked like trained attention, one image's (L, H, N, N). */
function randomAttention(seed: number, scale = 2): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(L * H * N * N);
  const row = new Float64Array(N);
  for (let base = 0; base < out.length; base += N) {
    let max = -Infinity;
    for (let k = 0; k < N; k++) {
      row[k] = scale * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      max = Math.max(max, row[k]);
    }
    let sum = 0;
    for (let k = 0; k < N; k++) sum += row[k] = Math.exp(row[k] - max);
    for (let k = 0; k < N; k++) out[base + k] = row[k] / sum;
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function time(run: () => unknown): number {
  const t0 = performance.now();
  run();
  return performance.now() - t0;
}

const variants: FlowVariant[] = ['abnar', 'metzger'];
const inputs = Array.from({ length: images + 1 }, (_, s) => randomAttention(1000 + s));
const times: Record<string, number[]> = { rollout: [], abnar: [], metzger: [] };
inputs.forEach((attn, s) => {
  const t = {
    rollout: time(() => abnarRollout(attn, L, H, N)),
    abnar: time(() => attentionFlow(attn, L, H, N, { variant: 'abnar' })),
    metzger: time(() => attentionFlow(attn, L, H, N, { variant: 'metzger' })),
  };
  if (s === 0) return; // warm-up (JIT)
  for (const k of Object.keys(t) as (keyof typeof t)[]) times[k].push(t[k]);
});
console.log(`random softmax attention, L=${L} H=${H} N=${N}, ${images} images (+1 warm-up), median per image:`);
console.log(`  rollout          ${median(times.rollout).toFixed(1)} ms`);
for (const v of variants) {
  const ts = times[v];
  console.log(`  flow ${v.padEnd(8)}    ${median(ts).toFixed(0)} ms   (min ${Math.min(...ts).toFixed(0)}, max ${Math.max(...ts).toFixed(0)})`);
}

const golden = resolve(process.env.VITLENS_GOLDEN_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '../../shared/golden'));
const deit = join(golden, 'deit_tiny', 'expected.safetensors');
if (existsSync(deit)) {
  const entry = parseSafetensors(new Uint8Array(readFileSync(deit)), deit).tensors.get('attn');
  if (entry) {
    const [, l, h, n] = entry.shape;
    const attn = toFloat32(entry).subarray(0, l * h * n * n);
    for (const v of variants) {
      const ts = Array.from({ length: 3 }, () => time(() => attentionFlow(attn, l, h, n, { variant: v })));
      console.log(`golden deit_tiny attention (L=${l} H=${h} N=${n}), flow ${v}: median ${median(ts).toFixed(0)} ms`);
    }
  }
}
