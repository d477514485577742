// Prints the adapter Dawn picks ("vendor architecture device (backend)") or exits 1 when none is found.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) {
  console.error('no WebGPU adapter');
  process.exit(1);
}
const i = adapter.info;
console.log([i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / '));
// Dawn keeps the process alive while the instance exists; leave explicitly.
process.exit(0);
