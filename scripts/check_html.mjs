// Open the documentation site (scripts/build_site.py) in headless Chromium (Debian's
// /usr/bin/chromium) and check what a reader would see, page by page:
//
//   node scripts/check_html.mjs [site-dir] [--screenshots DIR] [--screenshot-page PAGE.html]
//                               [--max-page-mb 1] [--max-site-mb 10]
//
// - every plot drawn: a page shows as many drawn plotly figures (an SVG inside .plotly-output) as
//   its notebook has plotly outputs (site/manifest.json, counted from the notebooks themselves);
//   plotly.js is loaded once by a page with plots and not at all by a page without;
// - no page error, no console error, and no request leaving the site (only file: URLs inside the
//   site folder, data: and blob: are allowed);
// - navigation: every link inside the site resolves to a file (and its #anchor to an element), the
//   table of contents lists every notebook, previous/next links walk the notebooks in order, titles
//   show no raw Markdown backticks, the index gives one full sentence for each notebook;
// - search: for each notebook, a word of its title finds that page on search.html;
// - size: the whole site and each page without the shared assets (_static/: plotly.js, theme)
//   are measured, printed, and must stay under the limits.
// --screenshots DIR saves DIR/site-index.png and DIR/site-notebook.png (the first page with a plot,
// or --screenshot-page, scrolled to its first plot).
import { chromium } from "playwright-core";
import { readFileSync, existsSync, statSync, readdirSync, mkdirSync } from "node:fs";
import { resolve, join, relative, sep } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const valued = ["--screenshots", "--screenshot-page", "--max-page-mb", "--max-site-mb"];
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : null;
};
for (const a of args) {
  if (a.startsWith("--") && !valued.includes(a)) {
    console.error(`unknown option ${a}; usage: node scripts/check_html.mjs [site-dir] [${valued.join(" X] [")} X]`);
    process.exit(2);
  }
}
const positional = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && valued.includes(args[i - 1])));
const site = resolve(positional[0] ?? "site");
const shotsDir = option("--screenshots") ? resolve(option("--screenshots")) : null;
const shotPage = option("--screenshot-page");
const MB = 1e6;
const maxPage = Number(option("--max-page-mb") ?? 1) * MB;
const maxSite = Number(option("--max-site-mb") ?? 10) * MB;
const SHARED = "_static";

const manifestPath = join(site, "manifest.json");
if (!existsSync(manifestPath)) {
  console.error(`no ${manifestPath}: build the site first (python scripts/build_site.py NOTEBOOK_DIR ${positional[0] ?? "site"})`);
  process.exit(1);
}
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(executablePath)) {
  console.error(`no Chromium at ${executablePath}: run \`bash scripts/setup.sh\` (installs Debian's chromium)`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const expectedPlots = new Map(manifest.map((e) => [e.page, e.plots]));
const pages = readdirSync(site).filter((f) => f.endsWith(".html")).sort();
for (const e of manifest) {
  if (!pages.includes(e.page)) {
    console.error(`manifest.json lists ${e.page}, which the site does not hold: rebuild the site`);
    process.exit(1);
  }
}

const inSite = (path) => path === site || path.startsWith(site + sep);
/** The file a same-site URL points at (query and fragment dropped), or null for any other URL. */
const fileOf = (url) => {
  const u = new URL(url);
  if (u.protocol !== "file:") return null;
  return fileURLToPath(new URL(u.pathname, "file://"));
};
function siteBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    total += entry.isDirectory() ? siteBytes(p) : statSync(p).size;
  }
  return total;
}
const fmt = (bytes) => `${(bytes / MB).toFixed(2)} MB`;

const browser = await chromium.launch({
  executablePath,
  // No sandbox as root; no background networking, which this closed network would refuse anyway.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

/** Open a page and record everything it did: errors, requests, bytes loaded outside _static/. */
async function open(file, query = "") {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const record = { problems: [], requests: [], ownBytes: 0, plotlyLoads: 0 };
  page.on("pageerror", (err) => record.problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => { if (msg.type() === "error") record.problems.push(`console error: ${msg.text()}`); });
  page.on("request", (req) => {
    const url = req.url();
    record.requests.push(url);
    if (/^(data|blob|about):/.test(url)) return;
    const path = fileOf(url);
    if (path === null || !inSite(path)) {
      record.problems.push(`request leaving the site (it must work offline): ${url}`);
      return;
    }
    if (/\/plotly(\.min)?\.js$/.test(path)) record.plotlyLoads += 1;
    if (!relative(site, path).startsWith(SHARED + sep) && existsSync(path)) record.ownBytes += statSync(path).size;
  });
  page.on("requestfailed", (req) => record.problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
  await page.goto(pathToFileURL(join(site, file)).href + query, { waitUntil: "load" });
  return { page, record };
}

/** Every link inside the site: its target file exists, and its #fragment names an element there. */
async function brokenLinks(page) {
  const links = await page.evaluate(() => [...document.querySelectorAll("a[href]")].map((a) => a.href));
  const broken = [];
  const ids = new Map();
  for (const href of new Set(links)) {
    const path = fileOf(href);
    if (path === null) continue; // http(s) links leave on a click only; nothing is requested
    if (!inSite(path) || !existsSync(path)) { broken.push(href); continue; }
    const fragment = decodeURIComponent(new URL(href).hash.slice(1));
    if (!fragment) continue;
    if (!ids.has(path)) {
      const text = readFileSync(path, "utf8");
      ids.set(path, new Set([...text.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])));
    }
    if (!ids.get(path).has(fragment)) broken.push(href);
  }
  return broken;
}

let failures = 0;
const sizes = [];
const nav = new Map(); // page -> its "next" and "previous" links
const report = (name, problems, detail) => {
  const ok = problems.length === 0;
  failures += ok ? 0 : 1;
  console.log(`${ok ? "ok  " : "FAIL"} ${name.padEnd(34)} ${detail}`);
  for (const p of problems) console.log(`     ${p}`);
};

try {
  // --- every page: plots, errors, requests, links, size ----------------------------------------
  for (const file of pages) {
    const { page, record } = await open(file);
    const want = expectedPlots.get(file) ?? 0;
    if (want > 0) {
      await page.waitForFunction((n) => document.querySelectorAll(".plotly-output .js-plotly-plot .main-svg").length >= n,
        want, { timeout: 30000 }).catch(() => {});
    }
    const holders = await page.evaluate(() => document.querySelectorAll(".plotly-output").length);
    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll(".plotly-output")].filter((el) => el.querySelector(".js-plotly-plot .main-svg")).length);
    const problems = record.problems;
    if (holders !== want || drawn !== want) problems.push(`plots drawn: ${drawn} of ${want} expected (${holders} plot outputs on the page)`);
    if (want > 0 && record.plotlyLoads !== 1) problems.push(`plotly.js loaded ${record.plotlyLoads} times; once expected`);
    if (want === 0 && record.plotlyLoads !== 0) problems.push("plotly.js loaded by a page without plots");
    for (const href of await brokenLinks(page)) problems.push(`broken link: ${href}`);
    const titles = await page.evaluate(() => [document.title, ...[...document.querySelectorAll("h1, h2, h3, .sidebar-tree a")].map((h) => h.textContent)]);
    for (const t of titles.filter((t) => t.includes("`"))) problems.push(`raw Markdown backticks in a title: ${t.trim()}`);
    if (record.ownBytes > maxPage) problems.push(`page size ${fmt(record.ownBytes)} without the shared assets is above ${fmt(maxPage)}`);
    sizes.push([file, record.ownBytes]);
    nav.set(file, await page.evaluate(() => ({
      next: document.querySelector("a.next-page")?.getAttribute("href") ?? null,
      prev: document.querySelector("a.prev-page")?.getAttribute("href") ?? null,
    })));
    report(file, problems, `${drawn}/${want} plots drawn, ${fmt(record.ownBytes)} without ${SHARED}/`);
    await page.close();
  }

  // --- navigation: table of contents, previous/next, the index's sentences ---------------------
  {
    const order = manifest.map((e) => e.page);
    const { page, record } = await open("index.html");
    const problems = record.problems;
    const toc = await page.evaluate(() => [...document.querySelectorAll(".sidebar-tree a")].map((a) => a.getAttribute("href")));
    for (const p of order) if (!toc.includes(p)) problems.push(`table of contents lacks ${p}`);
    // "next" from the index through every notebook in the manifest's order, and "previous" back.
    ["index.html", ...order].forEach((at, i) => {
      const expected = order[i] ?? null;
      if (expected && nav.get(at)?.next !== expected) problems.push(`"next" on ${at} goes to ${nav.get(at)?.next}, expected ${expected}`);
    });
    order.forEach((at, i) => {
      const expected = i === 0 ? "index.html" : order[i - 1];
      if (nav.get(at)?.prev !== expected) problems.push(`"previous" on ${at} goes to ${nav.get(at)?.prev}, expected ${expected}`);
    });
    // One entry per notebook on the index: a link, then a full sentence about it.
    const entries = await page.evaluate(() => [...document.querySelectorAll("article dl dt")].map((dt) => ({
      href: dt.querySelector("a")?.getAttribute("href") ?? "",
      text: dt.nextElementSibling?.tagName === "DD" ? dt.nextElementSibling.textContent.trim().replace(/\s+/g, " ") : "",
    })));
    for (const p of order) {
      const entry = entries.find((e) => e.href === p);
      if (!entry) problems.push(`the index has no entry for ${p}`);
      else if (!/^[A-Z].*[.!?]$/.test(entry.text)) problems.push(`the index's text for ${p} is not a full sentence: "${entry.text}"`);
    }
    const body = await page.evaluate(() => document.body.innerText);
    if (/\(\d+ plots?\)/.test(body)) problems.push("the index shows plot counts");
    report("navigation", problems, `${toc.length} table-of-contents links, next/previous through ${order.length} notebooks`);
    await page.close();
  }

  // --- search: a word of each notebook's title finds it -----------------------------------------
  if (pages.includes("search.html")) {
    const problems = [];
    let found = 0;
    for (const e of manifest) {
      const text = readFileSync(join(site, e.page), "utf8");
      const h1 = (text.match(/<h1>(.*?)<\/h1>/s)?.[1] ?? "").replace(/<[^>]+>/g, " ").replace(/&[a-z#0-9]+;/g, " ");
      const word = h1.split(/[^A-Za-z]+/).filter((w) => w.length >= 4).sort((a, b) => b.length - a.length)[0];
      if (!word) { problems.push(`no word to search for in the title of ${e.page}`); continue; }
      const { page, record } = await open("search.html", `?q=${encodeURIComponent(word)}`);
      await page.waitForFunction(() => document.querySelector("#search-results .search-summary")?.textContent.trim(),
        null, { timeout: 15000 }).catch(() => {});
      const hits = await page.evaluate(() => [...document.querySelectorAll("#search-results ul.search li a")].map((a) => a.getAttribute("href")));
      const pagesHit = new Set(hits.map((h) => h.split(/[?#]/)[0]));
      problems.push(...record.problems);
      if (!pagesHit.has(e.page)) problems.push(`searching "${word}" did not find ${e.page} (found: ${[...pagesHit].join(", ") || "nothing"})`);
      else found += 1;
      await page.close();
    }
    report("search", problems, `${found}/${manifest.length} notebooks found by a word of their title`);
  } else {
    console.log("     (no search.html: the site has no search)");
  }

  // --- screenshots --------------------------------------------------------------------------------
  if (shotsDir) {
    mkdirSync(shotsDir, { recursive: true });
    const problems = [];
    const { page: index } = await open("index.html");
    await index.screenshot({ path: join(shotsDir, "site-index.png") });
    await index.close();
    const target = shotPage ?? manifest.find((e) => e.plots > 0)?.page;
    if (!target || !expectedPlots.get(target)) problems.push(`no page with a plot to screenshot (${target ?? "none"})`);
    else {
      const { page } = await open(target);
      await page.waitForSelector(".plotly-output .js-plotly-plot .main-svg", { timeout: 30000 });
      // The first plot near the top of the window, with the navigation beside it.
      // The first plot with the heading of its section when both fit in the window, else the plot
      // with what comes just before it.
      await page.evaluate(() => {
        document.documentElement.style.scrollBehavior = "auto"; // the theme scrolls smoothly: jump instead
        const plot = document.querySelector(".plotly-output");
        const heading = plot.closest("section")?.querySelector("h2, h3");
        const plotTop = plot.getBoundingClientRect().top + window.scrollY;
        const headingTop = heading ? heading.getBoundingClientRect().top + window.scrollY : -Infinity;
        window.scrollTo(0, plotTop - headingTop < 450 ? headingTop - 16 : plotTop - 200);
      });
      await page.waitForTimeout(200);
      await page.screenshot({ path: join(shotsDir, "site-notebook.png") });
      await page.close();
    }
    report("screenshots", problems, `${relative(process.cwd(), join(shotsDir, "site-index.png"))}, ${relative(process.cwd(), join(shotsDir, "site-notebook.png"))} (${target})`);
  }
} finally {
  await browser.close();
}

// --- size -----------------------------------------------------------------------------------------
const total = siteBytes(site);
const shared = existsSync(join(site, SHARED)) ? siteBytes(join(site, SHARED)) : 0;
const [largestPage, largestBytes] = sizes.sort((a, b) => b[1] - a[1])[0];
const sizeProblems = [];
if (total > maxSite) sizeProblems.push(`the site is ${fmt(total)}, above ${fmt(maxSite)}`);
if (largestBytes > maxPage) sizeProblems.push(`${largestPage} is ${fmt(largestBytes)} without the shared assets, above ${fmt(maxPage)}`);
report("size", sizeProblems, `site ${fmt(total)} (limit ${fmt(maxSite)}; shared ${SHARED}/ ${fmt(shared)}), largest page ${largestPage} ${fmt(largestBytes)} (limit ${fmt(maxPage)})`);

const checks = pages.length + 2 + (pages.includes("search.html") ? 1 : 0) + (shotsDir ? 1 : 0);
console.log(`html: ${checks - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
