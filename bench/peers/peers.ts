/**
 * vitlens against the other JavaScript ViT engines on one golden model (deit_tiny by default):
 * onnxruntime-web's wasm backend (forward), tfjs 4.22's webgpu backend on the same Dawn adapter
 * and its wasm backend (forward, and forward + backward to the pixels via tf.grad). Rounds
 * alternate the engines (the order rotates each round) on the same inputs, so load drifting
 * over the run hits every engine alike; the ratio is the engine's time over vitlens' time in
 * the same round, median over rounds. Logits (and pixel gradients) are checked against
 * vitlens' before anything is timed. Prints a Markdown table for the README.
 *
 * These engines are not dependencies of vitlens: this folder has its own package.json, installed
 * on first run into bench/peers/node_modules; the ONNX files are exported once with
 * /usr/bin/python3 and Debian's torch (export_onnx.py) into bench/peers/out.
 *
 *   npm run bench:peers [-- --batch 1,8] [--rounds 5] [--engines vitlens,ort,tfjs-webgpu,tfjs-wasm]
 *                         [--modes fwd,fwdbwd] [--threads 2] [--case DIR] [--quick] [--no-torch]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, toFloat32 } from '../../src/io/safetensors.js';
import { readHubConfig } from '../../src/node/load.js';
import { mulberry32 } from '../../src/random.js';
import { parseArgs } from '../lib/args.js';
import { fmtMs, table } from '../lib/timing.js';
import { torchInfo, torchShape, torchTimings } from '../lib/torch.js';
import { ortEngine, tfjsEngine, vitlensEngine, type BenchInputs, type Engine } from './engines.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs();
const quick = args.flag('quick');
const caseDir = resolve(args.str('case', join(process.env.VITLENS_GOLDEN_DIR ?? join(here, '../../../shared/golden'), 'deit_tiny')));
const batches = args.nums('batch', quick ? [1] : [1, 8]);
const rounds = args.num('rounds', quick ? 2 : 5);
const threads = args.num('threads', 2);
const modes = (args.list('modes') ?? ['fwd', 'fwdbwd']) as Mode[];
const engineNames = args.list('engines') ?? ['vitlens', 'ort', 'tfjs-webgpu', 'tfjs-wasm'];
const onnxDir = join(here, 'out');
const TARGET = 243; // the golden cases' fixed class

type Mode = 'fwd' | 'fwdbwd';
const MODE_NAME: Record<Mode, string> = { fwd: 'fwd', fwdbwd: 'fwd+bwd' };

/** Installs this folder's packages on first use (package-lock.json pins them). */
function ensurePackages(): void {
  const need = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-web'];
  if (need.every((p) => existsSync(join(here, 'node_modules', p, 'package.json')))) return;
  console.log('installing the peer engines into bench/peers/node_modules (once) ...');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', here], { stdio: 'inherit' });
}

/** The ONNX files onnxruntime-web needs, exported with Debian's torch when missing; null if it cannot. */
function ensureOnnx(): string | null {
  const name = caseDir.replace(/\/+$/, '').split('/').pop();
  const missing = batches.filter((B) => !existsSync(join(onnxDir, `${name}_b${B}.onnx`)));
  if (missing.length === 0) return onnxDir;
  if (!torchInfo()) {
    console.log('onnxruntime-web skipped: exporting the ONNX needs /usr/bin/python3 with torch (apt-get install python3-torch)');
    return null;
  }
  console.log(`exporting ${name} to ONNX (batch ${missing.join(', ')}) ...`);
  const r = spawnSync(process.env.VITLENS_PYTHON ?? '/usr/bin/python3', [join(here, 'export_onnx.py'), caseDir, onnxDir, missing.join(',')], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`onnxruntime-web skipped: the ONNX export failed:\n${r.stderr.split('\n').slice(-5).join('\n')}`);
    return null;
  }
  return onnxDir;
}

function loadInputs(): BenchInputs {
  const cfg = readHubConfig(caseDir);
  const file = parseSafetensors(new Uint8Array(readFileSync(join(caseDir, 'model.safetensors'))), 'model.safetensors');
  const weights = new Map([...file.tensors].map(([n, t]) => [n, { shape: t.shape, data: toFloat32(t) }]));
  const [C, H, W] = cfg.pretrained.inputSize;
  const rand = mulberry32(7);
  // Normalised pixels lie in about [-2, 2.6]; uniform noise over that range.
  const pixels = new Map(batches.map((B) => [B, Float32Array.from({ length: B * C * H * W }, () => rand() * 4.6 - 2)]));
  return { caseDir, cfg, weights, pixels, target: TARGET };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const run = (e: Engine, mode: Mode, B: number) => (mode === 'fwd' ? e.forward(B) : e.fwdBwd!(B));
const supports = (e: Engine, mode: Mode) => mode === 'fwd' || e.fwdBwd !== undefined;

async function main(): Promise<void> {
  const started = performance.now();
  ensurePackages();
  const onnx = engineNames.includes('ort') ? ensureOnnx() : null;
  const inp = loadInputs();
  const engines: Engine[] = [await vitlensEngine(inp)];
  for (const n of engineNames) {
    if (n === 'vitlens') continue;
    if (n === 'ort') {
      if (onnx) engines.push(await ortEngine(inp, onnx, threads));
    } else if (n === 'tfjs-webgpu') engines.push(await tfjsEngine(inp, 'webgpu', threads));
    else if (n === 'tfjs-wasm') engines.push(await tfjsEngine(inp, 'wasm', threads));
    else throw new Error(`unknown engine ${n} (vitlens, ort, tfjs-webgpu, tfjs-wasm)`);
  }
  const [ours, ...peers] = engines;
  console.log(`${inp.cfg.architecture} from ${caseDir}; batches ${batches.join(', ')}; ${rounds} rounds\n${engines.map((e) => `  ${e.name}: ${e.detail}`).join('\n')}\n`);

  // Warm-up run of every engine (compiles its pipelines), checked against vitlens.
  const diffs: (string | number)[][] = [];
  for (const mode of modes) {
    for (const B of batches) {
      const ref = await run(ours, mode, B);
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (const e of peers.filter((p) => supports(p, mode))) {
        const d = maxAbsDiff(await run(e, mode, B), ref);
        diffs.push([e.name, `${MODE_NAME[mode]} b${B}`, mode === 'fwd' ? 'logits' : 'pixel gradient', d.toExponential(2), scale.toExponential(2)]);
      }
    }
  }
  console.log(table(['engine', 'run', 'output', 'max |engine - vitlens|', 'max |vitlens|'], diffs));

  // Interleaved rounds: ms[engine][mode/bB] and ratios to vitlens in the same round.
  const ms = new Map<string, Map<string, number[]>>();
  const ratios = new Map<string, Map<string, number[]>>();
  const push = (m: Map<string, Map<string, number[]>>, e: string, k: string, v: number) => {
    const row = m.get(e) ?? new Map<string, number[]>();
    m.set(e, row);
    row.set(k, [...(row.get(k) ?? []), v]);
  };
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      for (const B of batches) {
        const key = `${mode}/b${B}`;
        const order = engines.filter((e) => supports(e, mode));
        const rotated = [...order.slice(r % order.length), ...order.slice(0, r % order.length)];
        const t = new Map<Engine, number>();
        for (const e of rotated) t.set(e, await time(() => run(e, mode, B)));
        for (const [e, v] of t) {
          push(ms, e.name, key, v);
          push(ratios, e.name, key, v / t.get(ours)!);
        }
      }
    }
    console.log(`round ${r + 1}/${rounds} done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }

  const keys = modes.flatMap((m) => batches.map((B) => `${m}/b${B}`));
  const head = keys.map((k) => `${MODE_NAME[k.split('/')[0] as Mode]} ${k.split('/')[1]}`);
  const rows: (string | number)[][] = [['vitlens (median ms)', ...keys.map((k) => fmtMs(median(ms.get(ours.name)?.get(k) ?? [])))]];
  for (const e of peers) {
    rows.push([e.name, ...keys.map((k) => {
      const rs = ratios.get(e.name)?.get(k);
      return rs ? `${median(rs).toFixed(2)}× (${fmtMs(median(ms.get(e.name)!.get(k)!))})` : '—';
    })]);
  }
  if (!args.flag('no-torch') && torchInfo()) {
    // PyTorch runs after the rounds, in its own process: its ratio is not from the same rounds.
    const t = torchTimings({ ...torchShape(inp.cfg), batches, reps: 5, modes: modes.map((m) => m) });
    if (t) rows.push(['PyTorch CPU (native; after the rounds, not interleaved)', ...keys.map((k) => (t[k] ? `${(t[k]! / median(ms.get(ours.name)!.get(k)!)).toFixed(2)}× (${fmtMs(t[k])})` : '—'))]);
  }
  console.log(`\n${table(['engine (medians; ratio = its time / vitlens’ time, same round)', ...head], rows)}`);
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${ours.detail}; total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  for (const e of engines) await e.dispose();
}

await main();
process.exit(0);
