/**
 * The distinct values of a bulk statement's rows, each sent once and named by its index: the
 * hosts of a group change or a rollout chunk share their objects (a rendering, a document, a
 * diff), so a thousand rows name one entry instead of carrying a thousand copies to serialise
 * here and parse in the database. Values are keyed by the identity of the objects they are
 * made from, in order of first use.
 */
export class SharedValues<T> {
  readonly list: T[] = [];
  private readonly index = new Map<unknown, unknown>();

  indexOf(keys: readonly unknown[], make: () => T): number {
    let level = this.index;
    for (const key of keys.slice(0, -1)) {
      let next = level.get(key) as Map<unknown, unknown> | undefined;
      if (!next) level.set(key, (next = new Map()));
      level = next;
    }
    const last = keys[keys.length - 1];
    let i = level.get(last) as number | undefined;
    if (i === undefined) {
      i = this.list.push(make()) - 1;
      level.set(last, i);
    }
    return i;
  }
}
