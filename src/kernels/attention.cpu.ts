/**
 * CPU twins of the fused attention kernels (float64 arithmetic), in the same layouts: qkv
 * [B*N, 3D] (timm: column s*D + h*hd + e), O and dO [.*N, D] head-major, P / dP / dS
 * [., H, N, N]. The backward carries T targets at once: gradient batch t*B + b reads the saved
 * qkv and P of image b.
 */
type Data = ArrayLike<number>;

export interface AttentionShapeCpu {
  B: number;
  N: number;
  H: number;
  D: number;
}

/** Forward: P = softmax(scale Q K^T) per (b, h), O = P V. */
export function attentionCpu(qkv: Data, s: AttentionShapeCpu): { out: Float64Array; probs: Float64Array } {
  const { B, N, H, D } = s;
  const hd = D / H;
  const scale = hd ** -0.5;
  const out = new Float64Array(B * N * D);
  const probs = new Float64Array(B * H * N * N);
  const at = (b: number, i: number, part: number, h: number, e: number) => qkv[(b * N + i) * 3 * D + part * D + h * hd + e];
  const row = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < N; i++) {
        let m = -Infinity;
        for (let j = 0; j < N; j++) {
          let d = 0;
          for (let e = 0; e < hd; e++) d += at(b, i, 0, h, e) * at(b, j, 1, h, e);
          row[j] = d * scale;
          m = Math.max(m, row[j]);
        }
        let sum = 0;
        for (let j = 0; j < N; j++) sum += (row[j] = Math.exp(row[j] - m));
        const pb = ((b * H + h) * N + i) * N;
        for (let j = 0; j < N; j++) probs[pb + j] = row[j] / sum;
        for (let e = 0; e < hd; e++) {
          let o = 0;
          for (let j = 0; j < N; j++) o += probs[pb + j] * at(b, j, 2, h, e);
          out[(b * N + i) * D + h * hd + e] = o;
        }
      }
    }
  }
  return { out, probs };
}

/**
 * Backward from dO ([T*B*N, D]): dP = dO V^T, dS = P * (dP - rowsum(dP * P)), and
 * dqkv ([T*B*N, 3D]) = (scale dS K | scale dS^T Q | P^T dO) per head.
 */
export function attentionGradCpu(
  qkv: Data,
  probs: Data,
  dO: Data,
  s: AttentionShapeCpu & { T: number },
): { dP: Float64Array; dS: Float64Array; dqkv: Float64Array } {
  const { B, N, H, D, T } = s;
  const hd = D / H;
  const scale = hd ** -0.5;
  const TB = T * B;
  const dP = new Float64Array(TB * H * N * N);
  const dS = new Float64Array(TB * H * N * N);
  const dqkv = new Float64Array(TB * N * 3 * D);
  const at = (b: number, i: number, part: number, h: number, e: number) => qkv[(b * N + i) * 3 * D + part * D + h * hd + e];
  for (let z = 0; z < TB; z++) {
    const b = z % B;
    for (let h = 0; h < H; h++) {
      const gb = (z * H + h) * N * N;
      const pb = (b * H + h) * N * N;
      for (let i = 0; i < N; i++) {
        let dot = 0;
        for (let j = 0; j < N; j++) {
          let d = 0;
          for (let e = 0; e < hd; e++) d += dO[(z * N + i) * D + h * hd + e] * at(b, j, 2, h, e);
          dP[gb + i * N + j] = d;
          dot += d * probs[pb + i * N + j];
        }
        for (let j = 0; j < N; j++) dS[gb + i * N + j] = probs[pb + i * N + j] * (dP[gb + i * N + j] - dot);
      }
      for (let i = 0; i < N; i++) {
        for (let e = 0; e < hd; e++) {
          let dq = 0;
          let dk = 0;
          let dv = 0;
          for (let j = 0; j < N; j++) {
            dq += dS[gb + i * N + j] * at(b, j, 1, h, e);
            dk += dS[gb + j * N + i] * at(b, j, 0, h, e);
            dv += probs[pb + j * N + i] * dO[(z * N + j) * D + h * hd + e];
          }
          const r = (z * N + i) * 3 * D + h * hd + e;
          dqkv[r] = scale * dq;
          dqkv[r + D] = scale * dk;
          dqkv[r + 2 * D] = dv;
        }
      }
    }
  }
  return { dP, dS, dqkv };
}
