/** `vitlens convert`: a PyTorch checkpoint to a timm hub folder, without Python. */
import { intOption, parseArgs, stringOption } from '../args.js';
import { CliError } from '../errors.js';
import { knownTimmModels, timmModelArgs } from '../../model/timm-models.js';
import { convertCheckpointFile } from '../../node/convert.js';

export const convertHelp = `vitlens convert CHECKPOINT OUT_DIR [--arch NAME] [--key KEY] [--num-heads N] [--force] [--json]

  Converts a PyTorch checkpoint (.pth / .pt / .bin written by torch.save), or a .safetensors
  file with non-timm names, into a timm hub folder (config.json + model.safetensors) that
  \`vitlens predict --model OUT_DIR\` and loadModelDir() load. No Python is needed: the
  checkpoint's pickle is read by a restricted reader that accepts tensors and plain containers
  only and refuses anything else (it never runs code).

  Understood: a state dict at the top level or under model / state_dict / teacher / student /
  model_ema (the one used is printed), the module. (DDP) and backbone. (DINO) prefixes, DINO's
  projection head (dropped: the result gives features), separate q/k/v projections, DeiT III
  gamma_1/gamma_2, DINOv2 names and register layout. The architecture is read off the shapes
  and checked with the engine's own weight check before anything is written.

  --arch NAME      timm ViT architecture name (e.g. vit_small_patch16_224), checked
                   against the weights. Default: inferred (the file name is used as a hint)
  --key KEY        the dict of tensors to convert (teacher, student, model_ema, ...; a/b when nested)
  --num-heads N    attention heads, which the weights do not show (default: from --arch, else
                   embed_dim / 64 as in timm's models; printed)
  --force          replace config.json / model.safetensors already in OUT_DIR
  --json           machine-readable summary

  Preprocessing in config.json is timm's default (bicubic, crop 0.9, ImageNet mean/std):
  edit pretrained_cfg if the model was trained otherwise.`;

export async function convert(argv: string[]): Promise<void> {
  const args = parseArgs(argv, { arch: { value: true }, key: { value: true }, 'num-heads': { value: true }, force: {}, json: {} }, { max: 2, what: 'CHECKPOINT and OUT_DIR' });
  if (args.positionals.length !== 2) throw new CliError(`expected CHECKPOINT and OUT_DIR, got ${args.positionals.length} argument(s) (see --help)`);
  const [checkpoint, outDir] = args.positionals;
  const numHeads = args.options.has('num-heads') ? intOption(args, 'num-heads', 1) : undefined;
  const arch = stringOption(args, 'arch');
  // vitlens converts ViTs only: a name outside timm's ViT family would label a ViT as something else.
  if (arch !== undefined && !timmModelArgs(arch.split('.')[0])) {
    const known = knownTimmModels();
    throw new CliError(`--arch "${arch}" is not a ViT architecture vitlens knows (known: ${known.slice(0, 8).join(', ')}, … ${known.length} in all; see README "Supported models"), or leave --arch out to infer it from the weights`);
  }
  const r = convertCheckpointFile(checkpoint, outDir, {
    arch,
    key: stringOption(args, 'key'),
    numHeads,
    overwrite: args.flags.has('force'),
  });
  const c = r.vitConfig;
  if (args.flags.has('json')) {
    console.log(JSON.stringify({
      source: checkpoint,
      out: outDir,
      key: r.key,
      architecture: c.architecture,
      num_classes: c.numClasses,
      model_args: r.config.model_args,
      tensors: r.tensors,
      notes: r.notes,
    }, null, 2));
    return;
  }
  console.log(`converted ${checkpoint} -> ${outDir}`);
  console.log(`  ${c.architecture}: embed ${c.embedDim}, depth ${c.depth}, heads ${c.numHeads}, patch ${c.patchSize[0]}, ${c.imgSize[0]} px, ${c.numClasses} classes, ${r.tensors.length} tensors`);
  for (const n of r.notes) console.log(`  ${n}`);
}
