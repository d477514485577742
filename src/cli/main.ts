#!/usr/bin/env node
/**
 * The vitlens command line. Exit codes: 0 success, 1 the work failed (bad file, bad model,
 * no GPU; one line saying what and how to fix it), 2 bad usage.
 */
import { VitlensError } from '../errors.js';
import { CliError } from './errors.js';
import { bench, benchHelp } from './commands/bench.js';
import { explain, explainHelp } from './commands/explain.js';
import { convert, convertHelp } from './commands/convert.js';
import { inspect, inspectHelp } from './commands/inspect.js';
import { evaluate, evalHelp } from './commands/eval.js';
import { predict, predictHelp } from './commands/predict.js';
import { didYouMean } from './suggest.js';
import { adoptParentTerminal, relaunchFiltered, shouldRelaunch } from './dawn-noise.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; help: string; summary: string; gpu?: boolean }> = {
  explain: { run: explain, help: explainHelp, summary: 'explanation maps as PNGs and an HTML report', gpu: true },
  predict: { run: predict, help: predictHelp, summary: 'top-k classes for images', gpu: true },
  bench: { run: bench, help: benchHelp, summary: 'time a model and the explanation methods on this machine', gpu: true },
  convert: { run: convert, help: convertHelp, summary: 'a PyTorch checkpoint to a timm hub folder (no Python)' },
  inspect: { run: inspect, help: inspectHelp, summary: 'tensors and architecture of a checkpoint, safetensors file or hub folder' },
  eval: { run: evaluate, help: evalHelp, summary: 'score explanation methods (agreement, deletion, FGSM, sanity checks)', gpu: true },
};

const USAGE = `vitlens — what a Vision Transformer looks at, on WebGPU

Usage: vitlens <command> [options]

Commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`).join('\n')}

Run \`vitlens <command> --help\` for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    const hint = didYouMean(cmd, Object.keys(COMMANDS));
    console.error(`vitlens: unknown command "${cmd}"${hint || ` (commands: ${Object.keys(COMMANDS).join(', ')}; see vitlens --help)`}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(c.help);
    return 0;
  }
  try {
    await c.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`vitlens ${cmd}: ${e.message}`);
      return 2;
    }
    if (e instanceof VitlensError) {
      console.error(`vitlens ${cmd}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** GPU commands run in a child whose stderr loses Dawn's start-up warnings (dawn-noise.ts). */
function start(argv: string[]): Promise<number> {
  const gpu = COMMANDS[argv[0]]?.gpu && !argv.includes('--help') && !argv.includes('-h');
  if (gpu && shouldRelaunch()) return relaunchFiltered();
  adoptParentTerminal();
  return main(argv);
}

start(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
