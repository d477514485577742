/**
 * Every error vitlens throws on purpose is a VitlensError with a stable `code`,
 * so callers can branch on the kind of failure and users get a message that says
 * what was wrong and how to fix it.
 */
export class VitlensError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A .safetensors file that is truncated, malformed or internally inconsistent. */
export class SafetensorsError extends VitlensError {}

/**
 * Weights that do not fit the model: missing, unexpected or mis-shaped tensors. The message is one
 * line (counts and the first few names); the full lists stay in `missing`, `unexpected` and
 * `mismatched`, and `details` spells them out one per line.
 */
export class WeightsError extends VitlensError {
  constructor(
    message: string,
    readonly missing: string[] = [],
    readonly unexpected: string[] = [],
    readonly mismatched: { name: string; expected: number[]; actual: number[] }[] = [],
  ) {
    super('weights-mismatch', message);
  }

  /** Every missing, unexpected and mis-shaped tensor, one per line (the CLI's --verbose). */
  get details(): string {
    return [
      ...this.missing.map((n) => `  missing: ${n}`),
      ...this.unexpected.map((n) => `  unexpected: ${n}`),
      ...this.mismatched.map((m) => `  shape mismatch: ${m.name} is [${m.actual.join(', ')}], expected [${m.expected.join(', ')}]`),
    ].join('\n');
  }
}

/** A model configuration vitlens cannot build (unknown or unsupported architecture, bad arguments). */
export class ConfigError extends VitlensError {}

/** An image that cannot be decoded or does not fit the model (channels, size). */
export class ImageError extends VitlensError {}

/** Bad arguments to a computation: wrong shapes, NaN, out-of-range class ids. */
export class InputError extends VitlensError {}

/** No usable WebGPU device, a lost device, or limits the model does not fit in. */
export class DeviceError extends VitlensError {}

/** A pickle / checkpoint that vitlens refuses to read (anything but tensors and plain containers). */
export class CheckpointError extends VitlensError {}

/**
 * A file or folder that cannot be read or written (missing, a folder where a file was expected,
 * already there, no permission), naming the path and the system's error code.
 */
export class FileError extends VitlensError {
  constructor(
    code: string,
    message: string,
    readonly path: string,
  ) {
    super(code, message);
  }
}

/** An evaluation's progress or shard output that cannot be used: corrupted, from another run, incomplete. */
export class ProgressError extends VitlensError {}

/** A matmul tile table (`vitlens tune`'s output) that is malformed or belongs to another adapter or version. */
export class TileTableError extends VitlensError {}
