#!/usr/bin/env node
/**
 * The vitlens command line. Exit codes: 0 success, 1 the work failed (bad file, bad model,
 * no GPU; one line saying what and how to fix it), 2 bad usage. `--verbose` (any command) prints
 * full error lists and stacks. VITLENS_LIMITS raises the input limits (io/limits.ts).
 */
import { parseLimits, setLimits } from '../io/limits.js';
import { reportError } from './errors.js';
import { bench, benchHelp } from './commands/bench.js';
import { explain, explainHelp } from './commands/explain.js';
import { convert, convertHelp } from './commands/convert.js';
import { inspect, inspectHelp } from './commands/inspect.js';
import { evaluate, evalHelp } from './commands/eval.js';
import { predict, predictHelp } from './commands/predict.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; help: string; summary: string }> = {
  explain: { run: explain, help: explainHelp, summary: 'explanation maps as PNGs and an HTML report' },
  predict: { run: predict, help: predictHelp, summary: 'top-k classes for images' },
  bench: { run: bench, help: benchHelp, summary: 'time a model and the explanation methods on this machine' },
  convert: { run: convert, help: convertHelp, summary: 'a PyTorch checkpoint to a timm hub folder (no Python)' },
  inspect: { run: inspect, help: inspectHelp, summary: 'tensors and architecture of a checkpoint, safetensors file or hub folder' },
  eval: { run: evaluate, help: evalHelp, summary: 'score explanation methods (agreement, deletion, FGSM, sanity checks)' },
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
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(`vitlens: unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`vitlens: ${reportError(e, process.argv.includes('--verbose')).text}`);
    process.exit(1);
  },
);
