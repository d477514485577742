/**
 * The engines bench/peers/peers.ts times: vitlens, onnxruntime-web (wasm), tfjs webgpu (on the
 * same Dawn/lavapipe adapter) and tfjs wasm. Each holds its model and its inputs, already
 * uploaded, and answers a forward with the logits and a forward + backward with the gradient of
 * sum_b logits[b, target] to the pixels, both read back to the CPU (the same work for all).
 */
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';
import { create, globals } from 'webgpu';
import type { VitConfig } from '../../src/model/config.js';
import { gradients } from '../../src/model/gradients.js';
import { classTarget } from '../../src/model/targets.js';
import { createNodeContext } from '../../src/node/device.js';
import { loadModelDir } from '../../src/node/load.js';
import { pacedGpuWait } from '../../src/node/wait.js';
import type { Tensor } from '../../src/gpu/tensor.js';
import { tfjsVit } from './tfjs-vit.js';

export interface Engine {
  name: string;
  /** What it ran on, for the report (backend, threads). */
  detail: string;
  forward(B: number): Promise<Float32Array>;
  /** Absent for engines without gradients (onnxruntime-web). */
  fwdBwd?(B: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface BenchInputs {
  caseDir: string;
  cfg: VitConfig;
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  /** NCHW pixels per batch size. */
  pixels: Map<number, Float32Array>;
  target: number;
}

export async function vitlensEngine(inp: BenchInputs): Promise<Engine> {
  const ctx = await createNodeContext({ pacedWait: true });
  const model = loadModelDir(ctx, inp.caseDir);
  const [C, H, W] = model.config.pretrained.inputSize;
  const xs = new Map<number, Tensor>([...inp.pixels].map(([B, data]) => [B, ctx.upload(data, [B, C, H, W])]));
  return {
    name: 'vitlens',
    detail: `${ctx.info.name}, ${ctx.kernelFamily} kernels${ctx.tileTable ? ', tuned tiles' : ''}, paced wait`,
    async forward(B) {
      const r = model.forward(xs.get(B)!);
      try {
        return await r.logits!.read();
      } finally {
        r.release();
      }
    },
    async fwdBwd(B) {
      const g = gradients(model, xs.get(B)!, [classTarget(inp.target)], { grads: ['input'] });
      try {
        return await g.grads.get('input')!.read();
      } finally {
        g.release();
      }
    },
    async dispose() {
      for (const x of xs.values()) x.release();
      model.dispose();
      ctx.dispose();
    },
  };
}

export async function ortEngine(inp: BenchInputs, onnxDir: string, threads: number): Promise<Engine> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  const name = inp.caseDir.replace(/\/+$/, '').split('/').pop();
  const sessions = new Map<number, Awaited<ReturnType<typeof ort.InferenceSession.create>>>();
  for (const B of inp.pixels.keys()) sessions.set(B, await ort.InferenceSession.create(join(onnxDir, `${name}_b${B}.onnx`), { executionProviders: ['wasm'] }));
  const [C, H, W] = inp.cfg.pretrained.inputSize;
  return {
    name: 'onnxruntime-web wasm',
    detail: `onnxruntime-web ${ort.env.versions.web}, ${threads} thread(s)`,
    async forward(B) {
      const out = await sessions.get(B)!.run({ pixels: new ort.Tensor('float32', inp.pixels.get(B)!, [B, C, H, W]) });
      return out.logits.data as Float32Array;
    },
    async dispose() {
      for (const s of sessions.values()) await s.release();
    },
  };
}

let tfjs: Promise<typeof TF> | null = null;
let dawn: unknown = null;

/**
 * tfjs with the webgpu and wasm backends registered. tfjs-backend-webgpu looks for
 * navigator.gpu when it is imported: Dawn's node binding provides it (Node 20 has no navigator).
 */
function loadTfjs(): Promise<typeof TF> {
  tfjs ??= (async () => {
    Object.assign(globalThis, globals);
    dawn = create([]); // must outlive the device (see ../shared/PLATFORM.md)
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav) Object.defineProperty(nav, 'gpu', { value: dawn, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn }, configurable: true });
    // The umbrella package: tfjs-core's Node build alone registers no gradients.
    const tf = (await import('@tensorflow/tfjs')) as unknown as typeof TF;
    await import('@tensorflow/tfjs-backend-webgpu');
    await import('@tensorflow/tfjs-backend-wasm');
    return tf;
  })();
  return tfjs;
}

export async function tfjsEngine(inp: BenchInputs, backend: 'webgpu' | 'wasm', threads: number): Promise<Engine> {
  const tf = await loadTfjs();
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(threads);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialise`);
  await tf.ready();
  const model = tfjsVit(tf, inp.cfg, inp.weights);
  const [C, H, W] = inp.cfg.pretrained.inputSize;
  const xs = new Map([...inp.pixels].map(([B, data]) => [B, tf.tensor4d(data, [B, C, H, W])]));
  const onehot = tf.oneHot([inp.target], inp.cfg.numClasses).toFloat();
  // tfjs-webgpu waits through dawn.node's promises like vitlens does: the same pacing, to be fair.
  const read = (t: TF.Tensor) => (backend === 'webgpu' ? pacedGpuWait(t.data() as Promise<Float32Array>) : (t.data() as Promise<Float32Array>));
  const use = async () => {
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
  };
  const detail =
    backend === 'wasm'
      ? `tfjs ${tf.version_core} wasm, ${(await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount()} thread(s), SIMD ${await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')}`
      : `tfjs ${tf.version_core} webgpu on Dawn, paced wait`;
  return {
    name: `tfjs ${backend}`,
    detail,
    async forward(B) {
      await use();
      const y = tf.tidy(() => model.forward(xs.get(B)!));
      try {
        return await read(y);
      } finally {
        y.dispose();
      }
    },
    async fwdBwd(B) {
      await use();
      // logits[:, target] by a one-hot product: gather's gradient needs a kernel tfjs-wasm lacks.
      const g = tf.tidy(() => tf.grad((x: TF.Tensor) => tf.sum(tf.mul(model.forward(x as TF.Tensor4D), onehot)))(xs.get(B)!));
      try {
        return await read(g);
      } finally {
        g.dispose();
      }
    },
    async dispose() {
      await use();
      for (const x of xs.values()) x.dispose();
      onehot.dispose();
      model.dispose();
    },
  };
}
