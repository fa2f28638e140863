type Wrappers<T> = { [K in keyof T]?: (original: T[K]) => T[K] };

/**
 * @internal Replaces each method named in `wrappers` on `target` by its wrapper's result, as an
 * own property. The returned function puts back what was there: the app's own property, or
 * none (the prototype's method shows through again), so a release leaves the object as found.
 */
export function patchMethods<T extends object>(target: T, wrappers: Wrappers<T>): () => void {
  const names = Object.keys(wrappers) as (keyof T)[];
  const saved = names.map((name) => ({ name, own: Object.hasOwn(target, name), original: target[name] }));
  for (const { name, original } of saved) target[name] = wrappers[name]!(original);
  return () => {
    for (const { name, own, original } of saved) {
      if (own) target[name] = original;
      else delete target[name];
    }
  };
}
