#!/usr/bin/env node
/**
 * The vitlens command line. Exit codes: 0 success, 1 the work failed (bad file, bad model,
 * no GPU; one line saying what and how to fix it), 2 bad usage. `--verbose` (any command) prints
 * full error lists and stacks. VITLENS_LIMITS raises the input limits (io/limits.ts).
 */
import { parseLimits, setLimits } from '../io/limits.js';
import { reportError } from './errors.js';
import { didYouMean } from './suggest.js';
import { adoptParent, relaunchFiltered, shouldRelaunch } from './dawn-noise.js';

interface Command {
  run: (argv: string[]) => Promise<void>;
  help: string;
}

/** Commands load when run: a GPU command's parent process (dawn-noise.ts) and a typo load none. */
const COMMANDS: Record<string, { load: () => Promise<Command>; summary: string; gpu?: boolean }> = {
  explain: { load: async () => { const m = await import('./commands/explain.js'); return { run: m.explain, help: m.explainHelp }; }, summary: 'explanation maps as PNGs and an HTML report', gpu: true },
  predict: { load: async () => { const m = await import('./commands/predict.js'); return { run: m.predict, help: m.predictHelp }; }, summary: 'top-k classes for images', gpu: true },
  bench: { load: async () => { const m = await import('./commands/bench.js'); return { run: m.bench, help: m.benchHelp }; }, summary: 'time a model and the explanation methods on this machine', gpu: true },
  convert: { load: async () => { const m = await import('./commands/convert.js'); return { run: m.convert, help: m.convertHelp }; }, summary: 'a PyTorch checkpoint to a timm hub folder (no Python)' },
  inspect: { load: async () => { const m = await import('./commands/inspect.js'); return { run: m.inspect, help: m.inspectHelp }; }, summary: 'tensors and architecture of a checkpoint, safetensors file or hub folder' },
  tune: { load: async () => { const m = await import('./commands/tune.js'); return { run: m.tune, help: m.tuneHelp }; }, summary: 'measure the fastest matmul tiles for this machine and cache them', gpu: true },
  eval: { load: async () => { const m = await import('./commands/eval.js'); return { run: m.evaluate, help: m.evalHelp }; }, summary: 'score explanation methods (agreement, deletion, FGSM, sanity checks)', gpu: true },
};

const USAGE = `vitlens — what a Vision Transformer looks at, on WebGPU

Usage: vitlens <command> [options]

Commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`).join('\n')}

Run \`vitlens <command> --help\` for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const [cmd, ...rest] = argv.filter((a) => a !== '--verbose');
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const entry = COMMANDS[cmd];
  if (!entry) {
    const hint = didYouMean(cmd, Object.keys(COMMANDS));
    console.error(`vitlens: unknown command "${cmd}"${hint || ` (commands: ${Object.keys(COMMANDS).join(', ')}; see vitlens --help)`}`);
    return 2;
  }
  const c = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(c.help);
    return 0;
  }
  try {
    if (process.env.VITLENS_LIMITS) setLimits(parseLimits(process.env.VITLENS_LIMITS));
    await c.run(rest);
    return 0;
  } catch (e) {
    const r = reportError(e, verbose);
    console.error(`vitlens ${cmd}: ${r.text}`);
    return r.exitCode;
  }
}

/** GPU commands run in a child whose stderr loses Dawn's start-up warnings (dawn-noise.ts). */
function start(argv: string[]): Promise<number> {
  const gpu = COMMANDS[argv[0]]?.gpu && !argv.includes('--help') && !argv.includes('-h');
  if (gpu && shouldRelaunch()) return relaunchFiltered();
  adoptParent();
  return main(argv);
}

start(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`vitlens: ${reportError(e, process.argv.includes('--verbose')).text}`);
    process.exit(1);
  },
);
