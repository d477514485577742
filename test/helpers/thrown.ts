/** The error `f` throws, checked to be an instance of `type` (fails the test if nothing is thrown). */
import { expect } from 'vitest';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function thrown<E extends Error = Error>(f: () => unknown, type?: abstract new (...args: any[]) => E): E {
  try {
    f();
  } catch (e) {
    if (type) expect(e).toBeInstanceOf(type);
    return e as E;
  }
  throw new Error(`expected ${type?.name ?? 'an error'}`);
}
