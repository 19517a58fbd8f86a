// The TiledError a promise rejects with (or a call throws); fails the test if it resolves or rejects with anything else.
import { expect } from "vitest";
import { TiledError } from "../errors";

export async function caught(promise: Promise<unknown>): Promise<TiledError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(TiledError);
    return err as TiledError;
  }
  throw new Error("expected a TiledError");
}

/** The TiledError a synchronous call throws (fails the test if it returns or throws anything else). */
export function thrown(fn: () => unknown): Promise<TiledError> {
  return caught(Promise.resolve().then(fn));
}
