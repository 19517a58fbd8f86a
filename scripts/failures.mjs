// The end of the test command: what failed inside each failed step, in a few lines, because CI
// shows only the tail of a long run and the failures themselves scroll far above it.
//
//   node scripts/failures.mjs VITEST_JSON STEP_LOG...
//
// Vitest's failures come from its JSON report (each failed test's name and the first line of its
// error). For the other steps, the lines of their log that name a failure, the last few of them.
import fs from "node:fs";

const [vitestJson, ...logs] = process.argv.slice(2);
const MAX_LINES = 12;

// eslint-disable-next-line no-control-regex
const plain = (text) => String(text ?? "").replace(/\u001b\[[0-9;]*m/g, "");

function firstLine(text) {
  return plain(text).split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}

function vitestFailures(file) {
  const report = JSON.parse(fs.readFileSync(file, "utf8"));
  const lines = [];
  for (const suite of report.testResults ?? []) {
    const where = suite.name.replace(`${process.cwd()}/`, "");
    const failedTests = (suite.assertionResults ?? []).filter((t) => t.status === "failed");
    for (const t of failedTests) lines.push(`${where} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
    // A file that failed outside any test (a beforeAll, an import) has a message and no failed test.
    if (suite.status === "failed" && failedTests.length === 0) lines.push(`${where}: ${firstLine(suite.message)}`);
  }
  return lines;
}

for (const log of logs) {
  const text = plain(fs.readFileSync(log, "utf8"));
  const isVitest = /^ *(RUN|Test Files) /m.test(text) && vitestJson && fs.existsSync(vitestJson);
  let lines = [];
  if (isVitest) {
    try {
      lines = vitestFailures(vitestJson);
    } catch (error) {
      lines = [`(could not read ${vitestJson}: ${error.message})`];
    }
  }
  if (lines.length === 0) {
    lines = text
      .split("\n")
      .map((line) => line.trimEnd())
      .filter((line) => /FAIL|Error|error:|failed|Traceback/.test(line));
  }
  const shown = lines.slice(-MAX_LINES);
  console.log(`  ${log}:${lines.length > shown.length ? ` (last ${shown.length} of ${lines.length})` : ""}`);
  for (const line of shown) console.log(`    ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
}
