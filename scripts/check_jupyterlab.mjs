// Check that the notebooks' plots draw in JupyterLab itself, driven by headless Debian Chromium.
//
//   node scripts/check_jupyterlab.mjs [notebook.ipynb ...]     (default: notebooks/*.ipynb)
//
// Two passes per notebook, on copies in var/lab-check/ (JupyterLab autosaves; the committed
// notebooks stay untouched):
//   reopened: open the executed notebook as a user would after `git clone`. It is "Not Trusted",
//             so only renderers marked safe draw; the jupyterlab-plotly renderer is one.
//   live:     clear every output, Run All with the tslab kernel, and count again.
// Each pass must draw exactly as many plots as the notebook file holds, with nothing on stderr.
// The kernel inherits this process's environment (TILED_URL, TILED_SNAPSHOTS, ...).
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";

const ROOT = resolve(new URL("..", import.meta.url).pathname);
const WORK = join(ROOT, "var", "lab-check");
const PLOTLY_MIME = "application/vnd.plotly.v1+json";

const requested = process.argv.slice(2).map((p) => resolve(p));
const notebooks = requested.length > 0 ? requested
  : readdirSync(join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(ROOT, "notebooks", f));

function plotsIn(path) {
  const nb = JSON.parse(readFileSync(path, "utf8"));
  return nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data && PLOTLY_MIME in o.data).length;
}

async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => { const { port } = srv.address(); srv.close(() => res(port)); });
  });
}

// A private copy of the notebooks, with the lib symlink the kernel needs (tslab only compiles
// .ts files under the notebook's folder) and settings that keep JupyterLab quiet and unwindowed.
rmSync(WORK, { recursive: true, force: true });
mkdirSync(join(WORK, "notebooks"), { recursive: true });
symlinkSync(join(ROOT, "lib"), join(WORK, "notebooks", "lib"));
for (const nb of notebooks) cpSync(nb, join(WORK, "notebooks", basename(nb)));
const settings = join(WORK, "user-settings");
const put = (ext, file, obj) => {
  mkdirSync(join(settings, ext), { recursive: true });
  writeFileSync(join(settings, ext, file), JSON.stringify(obj));
};
put("@jupyterlab/notebook-extension", "tracker.jupyterlab-settings", { windowingMode: "none" });
put("@jupyterlab/apputils-extension", "notification.jupyterlab-settings", { fetchNews: "false", checkForUpdates: false });

const port = await freePort();
const token = randomBytes(16).toString("hex");
const lab = spawn(join(ROOT, ".venv", "bin", "jupyter"), [
  "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`,
  `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${join(WORK, "notebooks")}`,
  `--LabApp.user_settings_dir=${settings}`, `--LabApp.workspaces_dir=${join(WORK, "workspaces")}`,
  "--LabApp.expose_app_in_browser=True",
  // CI and these machines run as root; JupyterLab refuses that unless told.
  ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
], {
  env: {
    ...process.env,
    JUPYTER_PATH: join(ROOT, ".jupyter", "share", "jupyter"),
    JUPYTER_CONFIG_DIR: join(WORK, "config"),
    JUPYTER_DATA_DIR: join(WORK, "data"),
    JUPYTER_RUNTIME_DIR: join(WORK, "runtime"),
  },
  stdio: ["ignore", "pipe", "pipe"],
});
let labLog = "";
lab.stdout.on("data", (d) => { labLog += d; });
lab.stderr.on("data", (d) => { labLog += d; });

const base = `http://127.0.0.1:${port}`;
async function waitForLab() {
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${base}/api/status?token=${token}`);
      if (r.ok) return;
    } catch { /* not up yet */ }
    if (lab.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`JupyterLab did not start on ${base}:\n${labLog.slice(-3000)}`);
}

let failures = 0;
const browser = await (async () => {
  await waitForLab();
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
})().catch((err) => { console.error(String(err)); lab.kill(); process.exit(1); });

async function countPlots(page) {
  return page.evaluate(() => {
    const panel = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
    if (!panel) return { drawn: 0, stderr: 0, running: true };
    const drawn = [...panel.querySelectorAll(".js-plotly-plot")].filter((el) => el.querySelector(".main-svg")).length;
    const stderr = panel.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length;
    const prompts = [...panel.querySelectorAll(".jp-CodeCell .jp-InputArea-prompt")];
    const running = prompts.some((p) => p.textContent.includes("[*]"));
    // A run is complete when every code cell shows an execution count, "[7]:".
    const complete = prompts.length > 0 && prompts.every((p) => /\[\d+\]/.test(p.textContent));
    return { drawn, stderr, running: running || !complete };
  });
}

async function waitForPlots(page, expected, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = { drawn: 0, stderr: 0, running: true };
  while (Date.now() < deadline) {
    last = await countPlots(page);
    if (!last.running && last.drawn >= expected) break;
    if (!last.running && last.stderr > 0) break;
    await page.waitForTimeout(500);
  }
  return last;
}

try {
  for (const nb of notebooks) {
   try {
    const name = basename(nb);
    const expected = plotsIn(nb);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const pageErrors = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    // A workspace of its own per notebook: JupyterLab would otherwise restore the earlier tabs.
    const workspace = `check-${notebooks.indexOf(nb)}`;
    await page.goto(`${base}/lab/workspaces/${workspace}/tree/${encodeURIComponent(name)}?token=${token}`, { waitUntil: "domcontentloaded" });
    await page.waitForSelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", { timeout: 60000 });
    const reopened = await waitForPlots(page, expected, 30000);
    const okReopened = reopened.drawn === expected && reopened.stderr === 0;
    console.log(`${okReopened ? "ok  " : "FAIL"} ${name.padEnd(34)} reopened: ${reopened.drawn}/${expected} plots drawn`);

    // Live: wait for the kernel, wipe the outputs, Run All, and count again.
    await page.waitForFunction(() => {
      const app = window.jupyterapp;
      const panel = app?.shell.currentWidget;
      return panel?.sessionContext?.session?.kernel?.status === "idle";
    }, null, { timeout: 60000 });
    await page.evaluate(() => window.jupyterapp.commands.execute("notebook:clear-all-cell-outputs"));
    const cleared = await countPlots(page);
    // Clearing must also reset the execution counts, or "complete" below would be stale.
    const clearedOk = cleared.drawn === 0 && cleared.running;
    if (!clearedOk) console.log(`     clearing left ${cleared.drawn} plots or the old execution counts: the live pass cannot be trusted`);
    await page.evaluate(() => window.jupyterapp.commands.execute("notebook:run-all-cells"));
    const live = await waitForPlots(page, expected, 120000);
    const okLive = clearedOk && live.drawn === expected && live.stderr === 0 && !live.running;
    console.log(`${okLive ? "ok  " : "FAIL"} ${name.padEnd(34)} live:     ${live.drawn}/${expected} plots drawn${live.stderr ? `, ${live.stderr} stderr outputs` : ""}${live.running ? ", still running" : ""}`);
    if (pageErrors.length > 0) console.log(`     page errors: ${pageErrors.slice(0, 3).join(" | ")}`);
    failures += (okReopened ? 0 : 1) + (okLive ? 0 : 1);
    await page.evaluate(() => window.jupyterapp.commands.execute("kernelmenu:shutdown")).catch(() => {});
    await page.close();
   } catch (err) {
    failures += 2;
    console.log(`FAIL ${basename(nb).padEnd(34)} ${String(err).split("\n")[0]}`);
   }
  }
} finally {
  await browser.close();
  lab.kill("SIGTERM");
}
console.log(`jupyterlab: ${notebooks.length * 2 - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
