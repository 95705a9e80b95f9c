// A long-lived bridge from the Python e2e tests to puppeteer-core (Firefox over WebDriver
// BiDi). One JSON object per line on stdin: {"id", "cmd", ...args}; one per line on stdout:
// {"id", "ok": true, "value"} or {"id", "ok": false, "error"}. Commands run one at a time.
// argv[2]: the folder whose node_modules holds puppeteer-core (web/). puppeteer-core never
// downloads a browser: the caller names the executable.
"use strict";
const readline = require("node:readline");

const puppeteer = require(require.resolve("puppeteer-core", { paths: [process.argv[2]] }));

let browser = null;
let context = null;
let page = null;
let errors = [];

function currentPage() {
  if (!page) throw new Error("no page: send newPage first");
  return page;
}

const commands = {
  async launch({ executablePath, headless = true, args = [], prefs = {} }) {
    browser = await puppeteer.launch({
      browser: "firefox",
      executablePath,
      headless,
      args,
      extraPrefsFirefox: prefs,
      defaultViewport: { width: 1280, height: 720 },
      protocolTimeout: 60_000,
    });
    return await browser.version();
  },
  async newPage() {
    if (context) await commands.closePage();
    errors = [];
    context = await browser.createBrowserContext();
    page = await context.newPage();
    page.on("pageerror", (err) => errors.push(String((err && err.message) || err)));
    return null;
  },
  async closePage() {
    const ctx = context;
    context = null;
    page = null;
    if (ctx) await ctx.close();
    return null;
  },
  async goto({ url, waitUntil = "load", timeout = 30_000 }) {
    await currentPage().goto(url, { waitUntil, timeout });
    return currentPage().url();
  },
  async reload({ waitUntil = "load", timeout = 30_000 }) {
    await currentPage().reload({ waitUntil, timeout });
    return currentPage().url();
  },
  async evaluate({ expression }) {
    const value = await currentPage().evaluate(expression);
    return value === undefined ? null : value;
  },
  async click({ selector, button = "left" }) {
    await currentPage().click(selector, { button });
    return null;
  },
  async url() {
    return currentPage().url();
  },
  async errors() {
    const out = errors;
    errors = [];
    return out;
  },
  async close() {
    if (browser) await browser.close();
    browser = null;
    return null;
  },
};

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();

function reply(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

lines.on("line", (line) => {
  queue = queue.then(async () => {
    let request;
    try {
      request = JSON.parse(line);
    } catch (err) {
      reply({ id: null, ok: false, error: `bad JSON: ${err}` });
      return;
    }
    const { id, cmd, ...args } = request;
    try {
      if (!(cmd in commands)) throw new Error(`unknown command ${cmd}`);
      reply({ id, ok: true, value: await commands[cmd](args) });
    } catch (err) {
      reply({ id, ok: false, error: String((err && err.stack) || err) });
    }
    if (cmd === "close") process.exit(0);
  });
});

lines.on("close", async () => {
  // The tests' side went away: never leave a browser behind.
  try {
    if (browser) await browser.close();
  } finally {
    process.exit(0);
  }
});
