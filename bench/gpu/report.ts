/** The GPU check's results as one JSON object and one Markdown summary. */
import type { AdapterReport } from './adapter.js';
import type { ParityRow } from './parity.js';
import type { SpeedReport } from './speed.js';

export interface CheckReport {
  /** Schema of this object; bump when a field changes meaning. */
  version: 1;
  startedAt: string;
  wallS: number;
  small: boolean;
  node: string;
  adapter: AdapterReport;
  families: string[];
  /** Wall ms of each golden case per family (model load and compiles included). */
  caseMs: { case: string; family: string; ms: number }[];
  parity: ParityRow[];
  speed: SpeedReport | null;
  /** Phases that failed as a whole or ran out of time. */
  problems: string[];
  pass: boolean;
}

const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '—' : v.toExponential(digits));
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2 : 1)} ms`);

function table(headers: string[], rows: (string | number)[][]): string {
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function markdown(r: CheckReport): string {
  const a = r.adapter;
  const out: string[] = [];
  out.push(`# vitlens GPU check: ${r.pass ? 'PASS' : 'FAIL'}`);
  out.push('');
  out.push(`- adapter: ${a.description || a.device} (vendor ${a.vendor}, architecture ${a.architecture})${a.isSoftware ? ' — a CPU implementation' : ''}`);
  out.push(`- node ${r.node}; kernel families checked: ${r.families.join(', ')}; ${r.small ? 'small shapes (smoke run)' : 'full shapes'}; ${r.wallS.toFixed(0)} s in all`);
  out.push(`- features: ${a.features.join(', ')}`);
  out.push(`- limits: maxStorageBufferBindingSize ${a.limits.maxStorageBufferBindingSize}, maxBufferSize ${a.limits.maxBufferSize}, maxComputeWorkgroupStorageSize ${a.limits.maxComputeWorkgroupStorageSize}, maxComputeInvocationsPerWorkgroup ${a.limits.maxComputeInvocationsPerWorkgroup}, subgroup sizes ${a.subgroupMinSize}..${a.subgroupMaxSize}`);
  if (r.problems.length) out.push('', '## Problems', '', ...r.problems.map((p) => `- ${p}`));

  out.push('', '## Parity (golden cases, same tolerances as the test suite)', '');
  const failed = r.parity.filter((p) => !p.pass);
  out.push(`${r.parity.length} checks, ${failed.length} failed.`, '');
  out.push(
    table(
      ['case', 'family', 'group', 'check', 'max abs', 'rel', 'spearman', 'bound', 'result'],
      r.parity.map((p) => [p.case, p.family, p.group, p.name, p.note && !p.tol ? p.note : fmt(p.maxAbs), p.note && !p.tol ? (p.ms !== undefined ? ms(p.ms) : '') : fmt(p.rel), p.spearman?.toFixed(6) ?? '', p.tol ? `${p.on} ≤ ${p.tol}` : '', p.pass ? 'ok' : `**FAIL**${p.note ? ` (${p.note})` : ''}`]),
    ),
  );
  out.push('', '| case | family | wall (load, compile, all checks) |', '| --- | --- | --- |', ...r.caseMs.map((c) => `| ${c.case} | ${c.family} | ${ms(c.ms)} |`));

  const s = r.speed;
  if (s) {
    out.push('', `## Speed (${s.family} kernels, random weights)`, '');
    if (s.overhead) out.push(`Dispatch: ${s.overhead.dispatchUs.toFixed(1)} µs per recorded dispatch (1000 in one submit); submit + 4-byte read-back round trip: ${ms(s.overhead.roundTripMs)}.`, '');
    const models = [...new Set(s.models.map((m) => m.model))];
    const batches = [...new Set(s.models.map((m) => m.batch))];
    const whats = [...new Set(s.models.map((m) => m.what))];
    for (const model of models) {
      out.push(`### ${model}`, '');
      const rows = whats.map((w) => [
        w,
        ...batches.map((B) => {
          const t = s.models.find((m) => m.model === model && m.batch === B && m.what === w);
          if (!t) return '';
          if (t.ms === null) return `skipped (${t.skipped})`;
          return `${ms(t.ms)}${t.gflops ? ` (${t.gflops.toPrecision(3)} GFLOP/s)` : ''}${t.firstMs !== undefined ? `, first ${ms(t.firstMs)}` : ''}`;
        }),
      ]);
      out.push(table(['', ...batches.map((B) => `batch ${B}`)], rows), '');
    }
    out.push('### Matmul (GFLOP/s)', '');
    const kernels = [...new Set(s.matmul.map((m) => m.kernel))];
    const shapes = [...new Set(s.matmul.map((m) => m.shape))];
    out.push(
      table(
        ['shape', 'M x K x N', ...kernels],
        shapes.map((sh) => {
          const first = s.matmul.find((m) => m.shape === sh)!;
          return [sh, `${first.M}x${first.K}x${first.N}`, ...kernels.map((k) => {
            const t = s.matmul.find((m) => m.shape === sh && m.kernel === k);
            return t?.gflops ? t.gflops.toPrecision(3) : t?.skipped ? `skipped (${t.skipped})` : '';
          })];
        }),
      ),
    );
    if (s.kernels) {
      out.push('', `### GPU time per kernel: ${s.kernels.model} batch ${s.kernels.batch}, forward + backward to the pixels (timestamps, one pass per dispatch)`, '');
      out.push(`${ms(s.kernels.totalMs)} of kernel time in all.`, '');
      out.push(table(['kernel', 'calls', 'ms'], s.kernels.top.map((k) => [k.kernel, k.calls, k.ms.toFixed(3)])));
    } else out.push('', 'No GPU timestamps (the adapter has no timestamp-query).');
  }
  return out.join('\n') + '\n';
}
