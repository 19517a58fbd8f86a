/**
 * concurrency.ts — run async work on a list with at most `limit` tasks in flight, results in order.
 *
 * Reading an array's pieces or a stream's children one after another leaves the server idle while
 * the client receives, and the client idle while the server reads from disk; two or more in flight
 * overlap the two (bench/README.md measures it). The first failure cancels the tasks still running
 * (through the AbortSignal each task gets) and is the one reported.
 *
 * @example
 * const tables = await mapLimit(nodes, 4, (node, signal) => node.read({ signal }));
 */
import { badInput } from "./errors.js";

export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, signal: AbortSignal, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw badInput(`Concurrency ${limit} must be a positive integer.`);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener("abort", onAbort, { once: true });
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index], controller.signal, index);
      } catch (error) {
        // Keep the first error: the ones after it are the cancellations it caused.
        failure ??= { error };
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (failure !== undefined) throw failure.error;
  return results;
}
