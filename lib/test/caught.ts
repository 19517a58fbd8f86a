// The TiledError a promise rejects with; fails the test if it resolves or rejects with anything else.
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
