/**
 * The names a model's classes are shown with, in one place for the CLI, the report, the
 * evaluation tables and the browser app: the config's `label_names`; else, for a model with
 * exactly 1,000 classes, ImageNet-1k's (timm's ImageNet checkpoints carry no names); else none.
 */
import type { VitConfig } from './config.js';
import { IMAGENET_CLASSES } from './imagenet-classes.js';

export type ClassNamesSource = 'config' | 'imagenet-1k';

/** names[i] is class i's name, or undefined when the model names no classes. */
export function classNames(config: Pick<VitConfig, 'labelNames' | 'numClasses'>): readonly string[] | undefined {
  return config.labelNames ?? (config.numClasses === IMAGENET_CLASSES.length ? IMAGENET_CLASSES : undefined);
}

/** Where classNames() took the names from (for the report's settings), or undefined. */
export function classNamesSource(config: Pick<VitConfig, 'labelNames' | 'numClasses'>): ClassNamesSource | undefined {
  return config.labelNames ? 'config' : classNames(config) ? 'imagenet-1k' : undefined;
}
