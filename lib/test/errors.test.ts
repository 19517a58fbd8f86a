// errors.ts: TiledError and the redaction of secrets (API keys, credentials) from URLs and messages.
import { describe, expect, it } from "vitest";
import { redactUrl } from "../errors";

describe("API key", () => {
  const KEY = "secret-api-key-5f3a9c";
  it("redactUrl strips keys and credentials", () => {
    expect(redactUrl(`http://u:p@h:1/a?api_key=${KEY}&x=1`)).toBe("http://h:1/a?api_key=REDACTED&x=1");
    expect(redactUrl(`/a?api_key=${KEY}`)).toBe("/a?api_key=REDACTED");
  });
});
