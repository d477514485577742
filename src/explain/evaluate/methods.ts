/** The methods an evaluation scores: the registry's explanation methods and the random control. */
import { METHODS, methodByName } from '../registry.js';
import { mulberry32 } from '../../random.js';

/** A method as the evaluation sees it: the registry's, or the random control. */
export interface EvalMethod {
  name: string;
  title: string;
  classSpecific: boolean;
  description: string;
}

export const RANDOM_METHOD: EvalMethod = {
  name: 'random',
  title: 'Random (control)',
  classSpecific: false,
  description: 'uniform random patch scores, seeded by image index: the chance level of every metric',
};

/** Every method name the evaluation accepts: the registry's and `random`. */
export const EVAL_METHOD_NAMES: readonly string[] = [...METHODS.map((m) => m.name), RANDOM_METHOD.name];

export function evalMethod(name: string): EvalMethod | undefined {
  if (name === RANDOM_METHOD.name) return RANDOM_METHOD;
  const m = methodByName(name);
  return m && { name: m.name, title: m.title, classSpecific: m.classSpecific, description: m.description };
}

/** The random control's map of image `index`: uniform scores from (seed, index). */
export function randomMap(P: number, seed: number, index: number): Float32Array {
  const rand = mulberry32(Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(seed + 0x632be5ab, 0x85ebca6b));
  return Float32Array.from({ length: P }, rand);
}
