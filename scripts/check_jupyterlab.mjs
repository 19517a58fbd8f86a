// Check that the notebooks' plots draw in JupyterLab itself, driven by headless Debian Chromium.
//
//   node scripts/check_jupyterlab.mjs [notebook.ipynb ...]     (default: notebooks/*.ipynb)
//
// Two passes per notebook, on copies in var/lab-check/ or $LAB_CHECK_DIR (JupyterLab autosaves;
// the committed notebooks stay untouched):
//   reopened: open the executed notebook as a user would after `git clone`. It is "Not Trusted",
//             so only renderers marked safe draw; the jupyterlab-plotly renderer is one.
//   live:     clear every output, Run All with the tslab kernel, and count again. A notebook with a
//             live plot (05_live_run) must also show it growing during the run and ending at the
//             run's event count (see isLiveNotebook).
// Each pass must draw exactly as many plots as the notebook file holds, with nothing on stderr.
// The kernel inherits this process's environment (TILED_URL, TILED_SNAPSHOTS, ...).
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";

const ROOT = resolve(new URL("..", import.meta.url).pathname);
// $LAB_CHECK_DIR: another work folder, so that two checks at once do not share (and wipe) one. It
// must be inside the project: the notebooks' own imports resolve node_modules from their folder.
const WORK = process.env.LAB_CHECK_DIR ? resolve(process.env.LAB_CHECK_DIR) : join(ROOT, "var", "lab-check");
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
// And their helper: every notebook imports "./replica" (the servers' URLs, recordings, PROJECT_ROOT).
cpSync(join(ROOT, "notebooks", "replica.ts"), join(WORK, "notebooks", "replica.ts"));
const settings = join(WORK, "user-settings");
const put = (ext, file, obj) => {
  mkdirSync(join(settings, ext), { recursive: true });
  writeFileSync(join(settings, ext, file), JSON.stringify(obj));
};
put("@jupyterlab/notebook-extension", "tracker.jupyterlab-settings", { windowingMode: "none" });
put("@jupyterlab/apputils-extension", "notification.jupyterlab-settings", { fetchNews: "false", checkForUpdates: false });

// $LAB_CHECK_PORT: a fixed port (e.g. when only some ports may be used); default: any free one.
const port = process.env.LAB_CHECK_PORT ? Number(process.env.LAB_CHECK_PORT) : await freePort();
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
console.log(`starting JupyterLab on ${base} for ${notebooks.length} notebooks (two passes each: reopened, then Run All)`);
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

// Live plots (lib/live/plot.ts) say "<title> — N points, <status>" in their plotly title and are
// redrawn in place through update_display_data (a placeholder, then the figure: JupyterLab's
// plotly renderer ignores updates once drawn, so each redraw needs a new one). Sampled while the
// notebook runs, the counts must grow (a first sample > 0, a later one greater), the last one must
// equal the event count the notebook prints ("num_events.primary = N", from the run's stop
// document), and the cell must hold one plot output throughout (an update in place, not an output
// per redraw). Every animation frame is also watched (see watchFrames): the plot may be missing
// from a few (a one-frame blink when a frame is painted between a redraw's two messages), not from
// more than a tenth.
function isLiveNotebook(path) {
  const nb = JSON.parse(readFileSync(path, "utf8"));
  return nb.cells.flatMap((c) => c.outputs ?? []).some((o) => {
    const text = o.data?.["text/plain"];
    return (Array.isArray(text) ? text.join("") : text ?? "").startsWith("[live plot]");
  });
}

async function liveState(page) {
  return page.evaluate(() => {
    const panel = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
    if (!panel) return { titles: [], events: null, outputs: 0 };
    const titles = [...panel.querySelectorAll(".js-plotly-plot .gtitle")].map((t) => t.textContent ?? "");
    const m = /num_events\.primary = (\d+)/.exec(panel.textContent ?? "");
    // The live plot's output area: the one holding the plot (or, between the two messages of a
    // redraw, its placeholder). More than one output there would mean an output per redraw.
    const area = [...panel.querySelectorAll(".jp-OutputArea")]
      .find((a) => a.querySelector(".js-plotly-plot .gtitle, .live-plot-placeholder"));
    const outputs = area ? area.querySelectorAll(":scope > .jp-OutputArea-child").length : 0;
    return { titles, events: m ? Number(m[1]) : null, outputs };
  });
}

// Count, on every animation frame from the first drawn plot on, whether the plot was on screen
// (the DOM state at requestAnimationFrame is what that frame paints). A redraw replaces the plot
// by a placeholder, then by a new plot: frames painted in between show no plot ("blank").
async function watchFrames(page) {
  await page.evaluate(() => {
    const stats = { frames: 0, blank: 0, stop: false };
    window.__liveFrames = stats;
    const tick = () => {
      if (stats.stop) return;
      const panel = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden)");
      const drawn = Boolean(panel?.querySelector(".js-plotly-plot .main-svg"));
      if (drawn || stats.frames > 0) {
        stats.frames++;
        if (!drawn) stats.blank++;
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

async function frameStats(page) {
  return page.evaluate(() => { const s = window.__liveFrames; s.stop = true; return s; });
}

async function waitForPlots(page, expected, timeoutMs, onSample = async () => {}, label = "") {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let said = started;
  let last = { drawn: 0, stderr: 0, running: true };
  while (Date.now() < deadline) {
    await onSample();
    last = await countPlots(page);
    if (label && Date.now() - said >= 5000) {
      // A long Run All is never silent: how long so far and how many plots are drawn.
      said = Date.now();
      console.log(`     ${label} … ${Math.round((said - started) / 1000)} s, ${last.drawn}/${expected} plots drawn`);
    }
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
    const n = `notebook ${notebooks.indexOf(nb) + 1}/${notebooks.length}: ${name}`;
    const reopened = await waitForPlots(page, expected, 30000, undefined, `${n} reopened`);
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
    const growing = isLiveNotebook(nb);
    const seen = [];   // [seconds since Run All, points] while a live plot said "running"
    let maxOutputs = 0; // most outputs seen in the live plot's output area
    if (growing) await watchFrames(page);
    const t0 = Date.now();
    // Not awaited in the page: the command's promise settles only when every cell has run, and
    // the samples must be taken while they run.
    await page.evaluate(() => { void window.jupyterapp.commands.execute("notebook:run-all-cells"); });
    const sample = growing ? async () => {
      const state = await liveState(page);
      maxOutputs = Math.max(maxOutputs, state.outputs);
      for (const title of state.titles) {
        const m = / — (\d+) points, running/.exec(title);
        if (m) seen.push([(Date.now() - t0) / 1000, Number(m[1])]);
      }
    } : undefined;
    const live = await waitForPlots(page, expected, 300000, sample, `${n} Run All`);
    let okGrowth = true;
    let growthNote = "";
    if (growing) {
      const { titles, events, outputs } = await liveState(page);
      const frames = await frameStats(page);
      maxOutputs = Math.max(maxOutputs, outputs);
      const final = titles.map((t) => / — (\d+) points, (\w+)/.exec(t)).find(Boolean);
      const counts = [...new Set(seen.map(([, n]) => n))];
      const first = seen.find(([, n]) => n > 0);
      const later = seen.find(([, n]) => first && n > first[1]);
      // A flicker guard: a redraw may leave a frame blank (the two messages arrive apart), but
      // a plot missing from more than a tenth of the frames would be a broken live view.
      okGrowth = Boolean(first && later && final && events !== null && Number(final[1]) === events && final[2] !== "running" &&
        maxOutputs === 1 && frames.frames > 0 && frames.blank <= 0.1 * frames.frames);
      growthNote = `; live plot: ${first ? `${first[1]} points at ${first[0].toFixed(1)} s` : "no running sample"}, ` +
        `${later ? `${later[1]} at ${later[0].toFixed(1)} s` : "never grew"} (${counts.length} counts in ${seen.length} samples), ` +
        `final ${final ? `${final[1]} (${final[2]})` : "none"}, run's events ${events ?? "not printed"}, ` +
        `${maxOutputs === 1 ? "one output" : `${maxOutputs} outputs in its cell (expected 1)`}, ` +
        `plot missing from ${frames.blank} of ${frames.frames} frames since first drawn`;
    }
    const okLive = clearedOk && live.drawn === expected && live.stderr === 0 && !live.running && okGrowth;
    console.log(`${okLive ? "ok  " : "FAIL"} ${name.padEnd(34)} live:     ${live.drawn}/${expected} plots drawn${live.stderr ? `, ${live.stderr} stderr outputs` : ""}${live.running ? ", still running" : ""}${growthNote}`);
    if (pageErrors.length > 0) console.log(`     page errors: ${pageErrors.slice(0, 3).join(" | ")}`);
    if (live.stderr > 0) {
      const text = await page.evaluate(() => [...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) [data-mime-type="application/vnd.jupyter.stderr"]')].map((e) => e.textContent).join("\n"));
      console.log(`     stderr: ${text.trim().split("\n").slice(0, 8).join("\n             ")}`);
    }
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
