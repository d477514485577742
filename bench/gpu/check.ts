/**
 * The GPU check: what one short slot on a bare GPU machine should measure (issue 14). Bundled by
 * `npm run gpu:pack` into the pack with Node, dawn.node and the golden cases, and started there by
 * gpu-check.sh; from the repository it also runs as `npx tsx bench/gpu/check.ts --small`.
 *
 *   1. the adapter: info, limits, features; a CPU adapter (lavapipe, SwiftShader) ends the run
 *      with one line unless VITLENS_ALLOW_CPU_ADAPTER=1;
 *   2. parity: every golden case in the pack with each kernel family the adapter runs, against
 *      the references with the test suite's tolerances, and every registry method (bench/gpu/parity.ts);
 *   3. speed: ViT shapes at several batch sizes, matmul, overheads, timestamps (bench/gpu/speed.ts);
 *   4. gpu-check.json and gpu-check.md in --out (default $OUT, else ./gpu-check-out).
 *
 * Every phase runs under a share of --budget-s (default 480 s: a 10-minute slot with room for
 * unpacking), so the run ends on time and reports what it skipped.
 *
 *   node check.mjs [--small] [--golden dir1,dir2] [--cases micro,gray] [--families tiled,simd]
 *                  [--out dir] [--budget-s 480] [--no-speed] [--no-parity]
 *
 * Exit status: 0 all parity checks passed, 1 a check failed, 2 bad usage, 3 no usable adapter.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GpuContext, KernelFamily } from '../../src/gpu/context.js';
import { createNodeContext } from '../../src/node/device.js';
import { readGoldenCases, type GoldenCase } from '../../test/helpers/golden-reader.js';
import { parseArgs } from '../lib/args.js';
import { DAWN_OPTIONS, probeAdapter } from './adapter.js';
import { Budget } from './budget.js';
import { caseParity, crossFamilyRows, type ParityRow, type RegistryMaps } from './parity.js';
import { markdown, type CheckReport } from './report.js';
import { emptySpeedReport, speed, vitMatmulShapes, type SpeedPlan } from './speed.js';

const say = (s: string) => console.log(`[gpu-check] ${s}`);
const args = parseArgs();
const small = args.flag('small') || process.env.VITLENS_GPU_CHECK_SMALL === '1';
const here = dirname(fileURLToPath(import.meta.url));
const roots = (args.list('golden') ?? process.env.VITLENS_GOLDEN_ROOTS?.split(',') ?? [join(here, 'golden/reference'), join(here, 'golden/variants')]).map((d) => resolve(d));
const outDir = resolve(args.str('out', process.env.OUT || 'gpu-check-out'));
const total = new Budget('run', args.num('budget-s', small ? 240 : 480));
const startedAt = new Date().toISOString();
const t0 = performance.now();

const FULL_PLAN: SpeedPlan = {
  models: ['deit_tiny_patch16_224', 'vit_small_patch16_224', 'vit_base_patch16_224'],
  batches: [1, 8, 64],
  matmulShapes: vitMatmulShapes([8, 64]),
  reps: 5,
  itemCapS: 8,
};
/** Shapes lavapipe runs in seconds: the check's code paths, not its figures. */
const SMALL_PLAN: SpeedPlan = {
  models: ['deit_tiny_patch16_224'],
  batches: [1, 2],
  imgSize: 32,
  depth: 2,
  matmulShapes: [['small', 64, 64, 96]],
  reps: 1,
  itemCapS: 3,
};

/** Writes gpu-check.json and gpu-check.md from what has been measured so far; returns the Markdown. */
function writeReport(r: CheckReport): string {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'gpu-check.json'), JSON.stringify(r, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 1));
  const md = markdown(r);
  writeFileSync(join(outDir, 'gpu-check.md'), md);
  return md;
}

const adapter = await probeAdapter();
if (!adapter) {
  console.log('[gpu-check] FAIL: Dawn found no WebGPU adapter: no Vulkan driver was reached (see the loader and ICD lines gpu-check.sh printed above)');
  process.exit(3);
}
say(`adapter: ${adapter.description || adapter.device} | vendor ${adapter.vendor} | architecture ${adapter.architecture}${adapter.isSoftware ? ' | CPU implementation' : ''}`);
say(`features: ${adapter.features.join(' ')}`);
say(`limits: ${Object.entries(adapter.limits).map(([k, v]) => `${k}=${v}`).join(' ')}`);
if (adapter.isSoftware && process.env.VITLENS_ALLOW_CPU_ADAPTER !== '1') {
  console.log(`[gpu-check] FAIL: only a CPU adapter was found (${adapter.description || adapter.device}): the GPU's Vulkan driver did not load; set VITLENS_ALLOW_CPU_ADAPTER=1 to run on it anyway`);
  process.exit(3);
}

const problems: string[] = [];
const wanted = args.list('cases');
let cases: GoldenCase[] = [];
try {
  cases = readGoldenCases(roots).filter((c) => !wanted || wanted.includes(c.name));
} catch (e) {
  problems.push(`golden cases could not be read: ${(e as Error).message}`);
}
if (!args.flag('no-parity') && cases.length === 0) problems.push(`no golden cases under ${roots.join(', ')}${wanted ? ` named ${wanted.join(',')}` : ''}`);

const contexts = new Map<KernelFamily, GpuContext>();
const context = async (family?: KernelFamily): Promise<GpuContext> => {
  const ctx = await createNodeContext({ kernelFamily: family, dawnOptions: DAWN_OPTIONS });
  contexts.set(ctx.kernelFamily, ctx);
  return ctx;
};
const first = await context();
const families: KernelFamily[] = (args.list('families') as KernelFamily[] | null) ?? (first.info.subgroups ? [first.kernelFamily, first.kernelFamily === 'tiled' ? 'simd' : 'tiled'] : [first.kernelFamily]);
say(`kernel families: ${families.join(', ')} (default on this adapter: ${first.kernelFamily})`);

const parity: ParityRow[] = [];
const caseMs: CheckReport['caseMs'] = [];
let speedReport: CheckReport['speed'] = null;
const current = (): CheckReport => {
  const failed = parity.filter((p) => !p.pass);
  return { version: 1, startedAt, wallS: (performance.now() - t0) / 1000, small, node: process.version, adapter, families, caseMs, parity, speed: speedReport, problems, pass: failed.length === 0 && problems.length === 0 };
};
// A GPU that hangs must not cost the whole slot's results: past the budget (+60 s), write what
// there is and stop. Waits on the GPU are asynchronous, so this timer still fires.
setTimeout(() => {
  problems.push(`watchdog: the run exceeded its budget by 60 s and was stopped; the report holds what finished`);
  writeReport(current());
  say('FAIL: stopped by the watchdog; partial report written');
  process.exit(1);
}, (total.left() + 60) * 1000).unref();
if (!args.flag('no-parity')) {
  const phase = total.part('parity', args.flag('no-speed') ? 1 : 0.45);
  const registry = new Map<string, { family: string; maps: RegistryMaps }[]>();
  for (const family of families) {
    let ctx: GpuContext;
    try {
      ctx = contexts.get(family) ?? (await context(family));
    } catch (e) {
      problems.push(`parity: no ${family} context on this adapter: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    for (const g of cases) {
      if (!phase.fits()) {
        problems.push(`parity: time budget spent before ${g.name} (${family})`);
        continue;
      }
      const r = await caseParity(ctx, g, phase, { perturbationFactor: small ? 1 : 50 });
      parity.push(...r.rows);
      caseMs.push({ case: g.name, family, ms: r.ms });
      const failed = r.rows.filter((x) => !x.pass);
      say(`parity ${g.name} (${family}): ${r.rows.length - failed.length}/${r.rows.length} ok in ${(r.ms / 1000).toFixed(1)} s${failed.length ? `; FAILED: ${failed.map((x) => `${x.group}/${x.name}${x.note ? ` (${x.note})` : ''}`).join('; ')}` : ''}`);
      registry.set(g.name, [...(registry.get(g.name) ?? []), { family, maps: r.registry }]);
    }
  }
  for (const [name, runs] of registry) if (runs.length === 2) parity.push(...crossFamilyRows(name, runs[0], runs[1]));
  writeReport(current());
}

if (!args.flag('no-speed')) {
  try {
    // The tiled family is what GPUs run; a small run on a CPU adapter keeps the adapter's default (fast there).
    const ctx = small && first.info.isSoftware ? first : contexts.get('tiled') ?? (await context('tiled'));
    say(`speed with the ${ctx.kernelFamily} family, ${total.left().toFixed(0)} s left`);
    speedReport = emptySpeedReport(ctx);
    await speed(ctx, small ? SMALL_PLAN : FULL_PLAN, total.part('speed', 0.95), speedReport);
    const skipped = speedReport.models.filter((m) => m.skipped).length;
    if (skipped) say(`speed: ${skipped} model timings skipped (budget or per-item cap)`);
  } catch (e) {
    problems.push(`speed phase failed: ${(e as Error).message.split('\n')[0]}`);
  }
}

const report = current();
const failed = parity.filter((p) => !p.pass);
const md = writeReport(report);
console.log(md);
for (const p of problems) say(`problem: ${p}`);
say(`${report.pass ? 'PASS' : 'FAIL'}: ${parity.length - failed.length}/${parity.length} parity checks ok, ${problems.length} problems, ${report.wallS.toFixed(0)} s; wrote ${join(outDir, 'gpu-check.json')} and gpu-check.md`);
for (const ctx of contexts.values()) ctx.dispose();
process.exit(report.pass ? 0 : 1);
