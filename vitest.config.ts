// Vitest runs lib/'s TypeScript directly as ESM (the notebooks run the same files as CommonJS
// under tslab). Integration tests talk to the server at TILED_URL (default http://127.0.0.1:8000).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["lib/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The suites start their own small servers on free ports; run files one at a time so the
    // throwaway tiled server and the replica are not competing for the CPU.
    fileParallelism: false,
  },
});
