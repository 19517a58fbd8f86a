// notebook/display.ts: outside a Jupyter kernel, a display prints its text/plain twin.
import { describe, expect, it, vi } from "vitest";
import { displayBundle } from "../notebook/display";

describe("display", () => {
  it("outside a kernel, prints the text/plain twin rather than dropping the output", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    displayBundle({ "text/plain": "[plot] x", "application/vnd.plotly.v1+json": {} });
    expect(log).toHaveBeenCalledWith("[plot] x");
    log.mockRestore();
  });
});
