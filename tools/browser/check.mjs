// Loads pages of a built site in Debian's chromium (through playwright-core) at three
// viewports and fails on anything a reader would notice: sideways scrolling, an element
// sticking out of the viewport, a console error or warning, an uncaught exception, a failed
// request, a local link or resource that does not exist, a missing required element, and any
// `serious` or `critical` axe-core violation. Saves the rendered DOM (desktop) and a full-page
// screenshot per page and viewport.
//
// Usage: node check.mjs SITE_DIR OUT_DIR PAGES_FILE
//   PAGES_FILE: one page a line, tab-separated: NAME, PATH under SITE_DIR (may end in
//   `?query`), and optionally a CSS selector that must appear (waited for up to 5 s).
// Exit status 0 when every check passed, 1 when one failed (each failure printed as
// `FAIL: ...`), 2 on bad usage.
import { chromium } from "playwright-core";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [siteDir, outDir, pagesFile] = process.argv.slice(2);
if (!siteDir || !outDir || !pagesFile) {
  console.error("usage: node check.mjs SITE_DIR OUT_DIR PAGES_FILE");
  process.exit(2);
}

/** The viewports every page is checked at. */
const VIEWPORTS = [
  { name: "desktop", width: 1400, height: 900, colorScheme: "light" },
  { name: "phone", width: 390, height: 844, colorScheme: "light", isMobile: true, hasTouch: true },
  { name: "dark", width: 1400, height: 900, colorScheme: "dark" },
];
/** Table wrappers must not need sideways scrolling at or above this width. */
const WIDE_ENOUGH_FOR_TABLES = 1400;
/** Screenshots stop at this height (px): the first 8 000 px of a page show its layout, and taller shots take chromium tens of seconds. */
const MAX_SHOT_HEIGHT = 8000;
/** Pages loaded at once (`BROWSER_TEST_JOBS`, default 2). */
const JOBS = Math.max(1, Number.parseInt(process.env.BROWSER_TEST_JOBS || "2", 10) || 1);
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

function readPages(file) {
  const pages = [];
  readFileSync(file, "utf8").split("\n").forEach((line, i) => {
    if (!line.trim() || line.startsWith("#")) return;
    const [name, path, require] = line.split("\t");
    if (!name || !path) {
      console.error(`${file}:${i + 1}: expected NAME<TAB>PATH[<TAB>SELECTOR], found \`${line}\``);
      process.exit(2);
    }
    pages.push({ name, path, require: require || null });
  });
  return pages;
}

const failures = [];
function fail(msg) {
  failures.push(msg);
  console.log(`FAIL: ${msg}`);
}

// In the page: where the layout is wider than the viewport. Returns the document's scroll and
// client widths, the outermost elements whose box ends right of the viewport (or is wider than
// it) and that are not inside a scrollable container, and, when `tables` is set, the table
// wrappers that need sideways scrolling.
function measureOverflow(tables) {
  const vw = document.documentElement.clientWidth;
  const se = document.scrollingElement;
  const css = (el) => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
      let p = e.localName;
      if (e.id) { parts.unshift(`${p}#${e.id}`); break; }
      const cls = [...e.classList].slice(0, 2).map((c) => `.${c}`).join("");
      p += cls;
      const parent = e.parentElement;
      if (parent) {
        const same = [...parent.children].filter((c) => c.localName === e.localName);
        if (same.length > 1) p += `:nth-of-type(${same.indexOf(e) + 1})`;
      }
      parts.unshift(p);
    }
    return parts.join(" > ");
  };
  const scrolls = (el) => {
    const ox = getComputedStyle(el).overflowX;
    return ox === "auto" || ox === "scroll";
  };
  const insideScroller = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrolls(a)) return true;
    }
    return false;
  };
  const sticksOut = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    if (getComputedStyle(el).visibility === "hidden") return false;
    return r.right > vw + 1 || r.width > vw + 1;
  };
  const offenders = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!sticksOut(el) || insideScroller(el)) continue;
    if (el.parentElement && el.parentElement !== document.body && sticksOut(el.parentElement)) continue;
    const r = el.getBoundingClientRect();
    offenders.push(`${css(el)} (${Math.round(r.left)}..${Math.round(r.right)} px)`);
  }
  // Text that runs out of its box (a long word, a hash) widens the page without its element
  // doing so: measure the text itself.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const reported = new Set();
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const el = t.parentElement;
    if (!el || !t.data.trim() || reported.has(el) || insideScroller(el) || scrolls(el)) continue;
    range.selectNodeContents(t);
    const r = range.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 1 || getComputedStyle(el).visibility === "hidden") continue;
    reported.add(el);
    offenders.push(`text of ${css(el)} \`${t.data.trim().slice(0, 40)}\` (${Math.round(r.left)}..${Math.round(r.right)} px)`);
  }
  const scrollingTables = [];
  if (tables) {
    // `.wide`: a matrix with a column per measured item, meant to scroll.
    for (const w of document.querySelectorAll(".table-wrap:not(.wide)")) {
      if (w.scrollWidth > w.clientWidth + 1 && w.clientWidth > 0) {
        scrollingTables.push(`${css(w)} (${w.scrollWidth} px of content in ${w.clientWidth} px)`);
      }
    }
  }
  return { scrollWidth: se.scrollWidth, clientWidth: se.clientWidth, offenders, scrollingTables };
}

// In the page: every local `src` and `href` in the rendered DOM, resolved.
function localReferences() {
  const refs = [];
  for (const el of document.querySelectorAll("[src], [href]")) {
    for (const attr of ["src", "href"]) {
      const raw = el.getAttribute(attr);
      if (raw === null || raw === "" || raw.startsWith("#")) continue;
      let url;
      try { url = new URL(raw, document.baseURI); } catch { refs.push({ raw, bad: true }); continue; }
      if (url.protocol !== "file:") continue;
      refs.push({ raw, path: decodeURIComponent(url.pathname) });
    }
  }
  return refs;
}

function missingTarget(path) {
  if (!existsSync(path)) return true;
  if (statSync(path).isDirectory()) return !existsSync(join(path, "index.html"));
  return false;
}

async function checkPage(context, viewport, spec, axeSource) {
  const where = `${spec.path} [${viewport.name} ${viewport.width}x${viewport.height}]`;
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") {
      fail(`${where}: console ${m.type()}: ${m.text()} (${m.location().url || "page"})`);
    }
  });
  page.on("pageerror", (e) => fail(`${where}: uncaught exception: ${e.message}`));
  page.on("requestfailed", (r) => fail(`${where}: failed request ${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) fail(`${where}: ${r.url()} answered ${r.status()}`);
  });
  const [file, query] = spec.path.split("?");
  const url = pathToFileURL(join(siteDir, file)).href + (query ? `?${query}` : "");
  if (!existsSync(join(siteDir, file))) {
    fail(`${spec.path} was not built`);
    await page.close();
    return;
  }
  try {
    await page.goto(url, { waitUntil: "load", timeout: 20000 });
    await page.waitForLoadState("networkidle", { timeout: 5000 }).catch(() => {});
  } catch (e) {
    fail(`${where}: did not load: ${e.message}`);
    await page.close();
    return;
  }
  if (spec.require) {
    const found = await page.waitForSelector(spec.require, { state: "attached", timeout: 5000 }).catch(() => null);
    if (!found) fail(`${where}: no element matches \`${spec.require}\``);
  }
  const o = await page.evaluate(measureOverflow, viewport.width >= WIDE_ENOUGH_FOR_TABLES);
  if (o.scrollWidth > o.clientWidth + 1) {
    fail(`${where}: the page scrolls sideways (${o.scrollWidth} px wide in a ${o.clientWidth} px viewport)`);
  }
  for (const off of o.offenders) fail(`${where}: wider than the viewport: ${off}`);
  for (const t of o.scrollingTables) fail(`${where}: a table needs sideways scrolling: ${t}`);
  if (viewport.name === "desktop") {
    for (const ref of await page.evaluate(localReferences)) {
      if (ref.bad || missingTarget(ref.path)) fail(`${spec.path}: failed resource or link \`${ref.raw}\``);
    }
    writeFileSync(join(outDir, `${spec.name}.dom.html`), await page.content());
  }
  await page.evaluate(axeSource);
  const axe = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"], preload: false });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
      summary: v.nodes.slice(0, 3).map((n) => n.failureSummary || "").join(" | "),
    }));
  });
  for (const v of axe) {
    if (v.impact !== "serious" && v.impact !== "critical") continue;
    const targets = v.targets.slice(0, 8).join(", ") + (v.targets.length > 8 ? `, … (${v.targets.length} in all)` : "");
    fail(`${where}: axe ${v.id} (${v.impact}): ${v.help}: ${targets}\n      ${v.summary.replace(/\n/g, " ")}`);
  }
  // Full page, up to a height chromium captures in reasonable time.
  const height = await page.evaluate(() => document.scrollingElement.scrollHeight);
  const shot = join(outDir, `${spec.name}-${viewport.name}.png`);
  if (height > MAX_SHOT_HEIGHT) {
    await page.setViewportSize({ width: viewport.width, height: MAX_SHOT_HEIGHT });
    await page.screenshot({ path: shot });
  } else {
    await page.screenshot({ path: shot, fullPage: true });
  }
  await page.close();
}

const pages = readPages(pagesFile);
const axeSource = readFileSync(join(here, "node_modules/axe-core/axe.min.js"), "utf8");
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
try {
  for (const vp of VIEWPORTS) {
    const context = await browser.newContext({
      viewport: { width: vp.width, height: vp.height },
      colorScheme: vp.colorScheme,
      isMobile: vp.isMobile || false,
      hasTouch: vp.hasTouch || false,
    });
    // A few pages at a time: most of a page's time is waiting (load, network idle).
    const queue = [...pages];
    const worker = async () => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        await checkPage(context, vp, spec, axeSource).catch((e) => {
          fail(`${spec.path} [${vp.name} ${vp.width}x${vp.height}]: ${e.message.split("\n")[0]}`);
        });
      }
    };
    await Promise.all(Array.from({ length: JOBS }, worker));
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(`pages checked: ${pages.length} at ${VIEWPORTS.length} viewports; ${failures.length} failure(s)`);
process.exit(failures.length ? 1 : 0);
