/**
 * tree.ts — print a sketch of a tree of nodes, like `tiled.utils.tree` (and UNIX `tree`).
 *
 * Walks depth first, lazily: only as many pages are fetched as the printed lines need, and the
 * output stops at `maxLines` (20 by default, as in Python) with the same "truncated" note.
 *
 * @example
 * await tree(client);
 * // ├── bdp2022
 * // │   ├── ae762f9c-4933-4aa4-a720-147f4aaab6fd
 * // │   │   └── primary
 * const text = await formatTree(run, { maxLines: null });   // everything, as a string
 */
import type { BaseClient } from "./client/base.js";
import { Container } from "./client/container.js";
import type { RequestOptions } from "./http/types.js";

export interface TreeOptions extends RequestOptions {
  /** Stop after this many lines; null for no limit. Default 20. */
  maxLines?: number | null;
}

/** Yield the tree's lines, depth first. */
export async function* treeLines(node: Container, options: RequestOptions = {}, last: boolean[] = []): AsyncGenerator<string> {
  // Look one child ahead to know which is the last (└──) without counting first.
  let previous: [string, BaseClient] | undefined;
  const emit = async function* (entry: [string, BaseClient], isLast: boolean): AsyncGenerator<string> {
    const flags = [...last, isLast];
    const indent = flags.slice(0, -1).map((l) => (l ? "    " : "│   ")).join("");
    yield `${indent}${isLast ? "└" : "├"}── ${entry[0]}`;
    if (entry[1] instanceof Container) yield* treeLines(entry[1], options, flags);
  };
  for await (const entry of node.items(options)) {
    if (previous) yield* emit(previous, false);
    previous = entry;
  }
  if (previous) yield* emit(previous, true);
}

/** The tree as text (truncated like `tree`). */
export async function formatTree(node: Container, options: TreeOptions = {}): Promise<string> {
  const maxLines = options.maxLines === undefined ? 20 : options.maxLines;
  const lines: string[] = [];
  for await (const line of treeLines(node, options)) {
    if (maxLines !== null && lines.length >= maxLines) {
      lines.push(`<Output truncated at ${maxLines} lines. Adjust tree's maxLines option to see more.>`);
      break;
    }
    lines.push(line);
  }
  return lines.length ? lines.join("\n") : "<Empty>";
}

/** Print the tree (Python: `tree(client)`). */
export async function tree(node: Container, options: TreeOptions = {}): Promise<void> {
  console.log(await formatTree(node, options));
}
