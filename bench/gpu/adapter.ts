/**
 * What the GPU machine offers, read before anything else runs: the adapter's info, limits and
 * features, and whether it is a CPU implementation (lavapipe, SwiftShader), on which the check
 * refuses to measure unless VITLENS_ALLOW_CPU_ADAPTER=1 (the smoke run on a machine without a GPU).
 */
import { create, globals } from 'webgpu';
import { describeAdapter } from '../../src/gpu/context.js';

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isSoftware: boolean;
  subgroupMinSize: number;
  subgroupMaxSize: number;
  features: string[];
  limits: Record<string, number>;
  /** Dawn options the adapter was requested with. */
  dawnOptions: string[];
}

/** Dawn options for every context of the check: timestamps unquantised where the adapter has them. */
export const DAWN_OPTIONS = ['enable-dawn-features=allow_unsafe_apis', 'disable-dawn-features=timestamp_quantization'];

export async function probeAdapter(): Promise<AdapterReport | null> {
  Object.assign(globalThis, globals);
  const gpu = create(DAWN_OPTIONS);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const info = adapter.info;
  const limits: Record<string, number> = {};
  // GPUSupportedLimits' fields are prototype getters, not own properties.
  for (let o = Object.getPrototypeOf(adapter.limits); o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) {
      const v = (adapter.limits as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number') limits[k] = v;
    }
  }
  const device = await adapter.requestDevice();
  const described = describeAdapter(info, device);
  device.destroy();
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isSoftware: described.isSoftware,
    subgroupMinSize: described.subgroupMinSize,
    subgroupMaxSize: described.subgroupMaxSize,
    features: [...adapter.features].map(String).sort(),
    limits,
    dawnOptions: DAWN_OPTIONS,
  };
}
