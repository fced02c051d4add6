/**
 * How many file operations of one apply are in flight at once. fsyncs issued together are
 * committed by one journal flush of the file system (ext4, xfs), which is where an apply of many
 * files spends its time; the bound keeps open descriptors and buffered contents small.
 */
export const FS_CONCURRENCY = 16;

/**
 * fn over every item, at most LIMIT at a time; results in input order. After a failure no new
 * item starts, and the call settles only when every started one has: a caller cleaning up after
 * the failure (removing temps) never races a write still in flight. Rejects with the failure of
 * the first item in input order.
 */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  const failures: { index: number; err: unknown }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && failures.length === 0) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (err) {
        failures.push({ index, err });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length) throw failures.sort((a, b) => a.index - b.index)[0].err;
  return results;
}
