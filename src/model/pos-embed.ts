/**
 * Position embeddings at another patch grid, as timm's `resample_abs_pos_embed`: prefix rows
 * are kept, the patch rows are viewed as a (D, gh, gw) image and resized with
 * F.interpolate(mode='bicubic', antialias=True, align_corners=False); the same grid returns the
 * embedding unchanged.
 */
import { ConfigError } from '../errors.js';
import { resizeFloatAntialiased } from '../io/resize.js';

export function resamplePosEmbed(
  pos: Float32Array,
  D: number,
  prefixRows: number,
  from: readonly [number, number],
  to: readonly [number, number],
): Float32Array {
  const [gh, gw] = from;
  if (pos.length !== (prefixRows + gh * gw) * D) {
    throw new ConfigError('bad-pos-embed', `pos_embed has ${pos.length / D} rows, expected ${prefixRows} prefix + ${gh}x${gw} patches`);
  }
  if (gh === to[0] && gw === to[1]) return pos;
  const [nh, nw] = to;
  // rows (r, c) of D channels -> channel planes, resize, and back.
  const planes = new Float32Array(D * gh * gw);
  for (let i = 0; i < gh * gw; i++) for (let d = 0; d < D; d++) planes[d * gh * gw + i] = pos[(prefixRows + i) * D + d];
  const resized = resizeFloatAntialiased(planes, D, gh, gw, nh, nw, 'bicubic');
  const out = new Float32Array((prefixRows + nh * nw) * D);
  out.set(pos.subarray(0, prefixRows * D));
  for (let i = 0; i < nh * nw; i++) for (let d = 0; d < D; d++) out[(prefixRows + i) * D + d] = resized[d * nh * nw + i];
  return out;
}

/**
 * The grid a checkpoint's pos_embed was trained at: the config's grid when the row count
 * matches, otherwise the square grid timm assumes for checkpoints.
 */
export function nativeGrid(patchRows: number, configGrid: readonly [number, number]): [number, number] {
  if (patchRows === configGrid[0] * configGrid[1]) return [configGrid[0], configGrid[1]];
  const s = Math.round(Math.sqrt(patchRows));
  if (s * s !== patchRows) {
    throw new ConfigError('bad-pos-embed', `pos_embed has ${patchRows} patch rows, which is neither the config's ${configGrid[0]}x${configGrid[1]} grid nor a square grid`);
  }
  return [s, s];
}
