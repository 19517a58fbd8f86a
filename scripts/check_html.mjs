// Open the exported HTML site in headless Chromium (Debian's /usr/bin/chromium) and check what a
// reader would see: every plot drawn, no page errors, and no request leaving the machine.
//
//   node scripts/check_html.mjs [site-dir] [--screenshot out.png [--screenshot-page page.html]]
//
// For each page in site/manifest.json: the number of drawn plotly plots (a .js-plotly-plot holding
// an SVG) must equal the number of plotly outputs in the notebook; page errors, console errors and
// any request other than file:/data:/blob: fail the check. --screenshot saves the first drawn plot
// of --screenshot-page (default: the first page that has a plot): the README's picture.
import { chromium } from "playwright-core";
import { readFileSync, existsSync } from "node:fs";
import { resolve, join } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : null;
};
const screenshot = option("--screenshot") ? resolve(option("--screenshot")) : null;
const screenshotPage = option("--screenshot-page");
const positional = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1].startsWith("--screenshot")));
const site = resolve(positional[0] ?? "site");
const manifestPath = join(site, "manifest.json");
if (!existsSync(manifestPath)) {
  console.error(`no ${manifestPath}: export the site first (python scripts/export_html.py)`);
  process.exit(1);
}
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(executablePath)) {
  console.error(`no Chromium at ${executablePath}: run \`bash scripts/setup.sh\` (installs Debian's chromium)`);
  process.exit(1);
}

const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const browser = await chromium.launch({
  executablePath,
  // No sandbox as root; no background networking, which this closed network would refuse anyway.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
let failures = 0;
let shotTaken = false;
try {
  for (const entry of [{ html: "index.html", plots: 0, notebook: "index" }, ...manifest]) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems = [];
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("console", (msg) => { if (msg.type() === "error") problems.push(`console error: ${msg.text()}`); });
    page.on("request", (req) => {
      const url = req.url();
      if (!/^(file|data|blob|about):/.test(url)) problems.push(`network request (the site must work offline): ${url}`);
    });
    await page.goto(pathToFileURL(join(site, entry.html)).href, { waitUntil: "load" });
    let drawn = 0;
    if (entry.plots > 0) {
      // Plotly draws synchronously on load; allow a moment for layout of many plots.
      await page.waitForFunction((n) => document.querySelectorAll(".js-plotly-plot .main-svg").length >= n,
        entry.plots, { timeout: 20000 }).catch(() => {});
    }
    drawn = await page.evaluate(() => document.querySelectorAll(".js-plotly-plot").length);
    const withSvg = await page.evaluate(() =>
      [...document.querySelectorAll(".js-plotly-plot")].filter((el) => el.querySelector(".main-svg")).length);
    if (drawn !== entry.plots || withSvg !== entry.plots) {
      problems.push(`plots drawn: ${withSvg} of ${entry.plots} expected (${drawn} plot containers)`);
    }
    if (screenshot && !shotTaken && entry.plots > 0 && problems.length === 0 && (!screenshotPage || entry.html === screenshotPage)) {
      const first = page.locator(".js-plotly-plot").first();
      await first.scrollIntoViewIfNeeded();
      await first.screenshot({ path: screenshot });
      shotTaken = true;
    }
    const ok = problems.length === 0;
    failures += ok ? 0 : 1;
    console.log(`${ok ? "ok  " : "FAIL"} ${entry.html.padEnd(40)} ${withSvg}/${entry.plots} plots drawn`);
    for (const p of problems) console.log(`     ${p}`);
    await page.close();
  }
} finally {
  await browser.close();
}
if (screenshot) console.log(shotTaken ? `screenshot: ${screenshot}` : "no screenshot taken (no page with a plot passed)");
console.log(`html: ${manifest.length + 1 - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
