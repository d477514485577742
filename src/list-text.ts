/**
 * Lists in messages: an error line names a few items and counts the rest, so that a model with
 * 56 missing tensors or a registry of many methods still gives one readable line. The full lists
 * stay on the error objects (e.g. WeightsError.missing) for code that wants them.
 */

/** "a, b, c" — or "a, b, c, d, e and 51 more" when there are more than `shown`. */
export function briefList(items: readonly string[], shown = 5): string {
  if (items.length <= shown) return items.join(', ');
  return `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}
