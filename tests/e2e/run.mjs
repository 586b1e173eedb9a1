#!/usr/bin/env node
// Drives the built Bastide app in a real window: tauri-driver (port 4444) starts the
// app through WebKitWebDriver, and this script clicks and types like a person would.
// Usually started by run.sh, which provides the display, the session bus, the driver
// and a fresh profile.
//
// Environment:
//   BASTIDE_APP     path of the built app binary (required unless E2E_CAPABILITIES is set)
//   BASTIDE_RELAY   relay address typed into "Créer un espace" (required)
//   E2E_ARTIFACTS   where screenshots go (default: tests/e2e/artifacts)
//   E2E_DRIVER_HOST, E2E_DRIVER_PORT   the WebDriver server (default 127.0.0.1:4444)
//   E2E_TIMEOUT_MS  how long to wait for each condition (default 20000)
//   E2E_CAPABILITIES, E2E_URL   for debugging the UI alone: JSON capabilities that
//                   replace the Tauri ones (e.g. MiniBrowser), and a page to open
//
// Output: one line per check, then as the last line `e2e: N passed, M failed`.
// Exit status 0 only when every check passed.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;

const config = {
  app: env.BASTIDE_APP ?? '',
  relay: env.BASTIDE_RELAY ?? '',
  artifacts: path.resolve(env.E2E_ARTIFACTS || path.join(here, 'artifacts')),
  host: env.E2E_DRIVER_HOST || '127.0.0.1',
  port: Number(env.E2E_DRIVER_PORT || 4444),
  // A cold start of the app (profile creation, keys, first SQLite file) takes a
  // few seconds under Xvfb; 20 s leaves room on a loaded 2-core CI machine.
  timeout: Number(env.E2E_TIMEOUT_MS || 20000),
  capabilities: env.E2E_CAPABILITIES ? JSON.parse(env.E2E_CAPABILITIES) : null,
  url: env.E2E_URL || null,
};

const SPACE_NAME = 'Pays — agents';
const EVENT_TITLE = 'Conseil communautaire';
const EVENT_PLACE = 'Salle des fêtes';
const INVITE_PREFIX = 'BSTD1-';

const results = [];
/** @type {WebdriverIO.Browser | null} */
let browser = null;

/** The element with that data-testid. */
const byTestId = (id) => browser.$(`[data-testid="${id}"]`);

// ---------------------------------------------------------------------------------
// Checks. Each one is a test; a check whose prerequisite failed is reported as
// failed without running, so one broken step does not cost a timeout per check.

async function main() {
  const missing = [];
  if (!config.capabilities && !config.app) missing.push('BASTIDE_APP');
  if (!config.relay) missing.push('BASTIDE_RELAY');
  if (missing.length > 0) {
    console.error(`run.mjs: set ${missing.join(' and ')} (see the comment at the top of this file)`);
    console.log('e2e: 0 passed, 1 failed');
    process.exitCode = 2;
    return;
  }
  await mkdir(config.artifacts, { recursive: true });

  const day = dayInAWeek();
  const start = `${day}T14:00`;
  const end = `${day}T16:00`;

  try {
    await check('la fenêtre de Bastide s’ouvre', [], async () => {
      browser = await openSession();
      if (config.url) await browser.url(config.url);
      await shown(byTestId('create-space-open'), 'the sidebar button "Créer un espace" never appeared');
    });

    await check('la barre d’état montre la connexion et les modifications en attente', ['la fenêtre de Bastide s’ouvre'], async () => {
      const online = byTestId('status-online');
      await shown(online, 'no status-online in the status bar');
      await waitFor(
        async () => /^(En ligne|Hors ligne)$/.test((await textOf(online)).trim()),
        'status-online never said "En ligne" or "Hors ligne"',
      );
      const pending = (await textOf(byTestId('status-pending'))).trim();
      expect(/modifications? en attente$/.test(pending), `status-pending reads "${pending}"`);
    });

    await check(`créer l’espace « ${SPACE_NAME} »`, ['la fenêtre de Bastide s’ouvre'], async () => {
      await byTestId('create-space-open').click();
      const name = byTestId('space-name');
      await shown(name, 'the "Créer un espace" form did not open');
      await name.setValue(SPACE_NAME);
      await fillField('space-relay', config.relay);
      await byTestId('create-space-submit').click();
      await waitFor(async () => {
        const items = await browser.$$('[data-testid="space-item"]');
        for (const item of items) if ((await textOf(item)).includes(SPACE_NAME)) return true;
        return false;
      }, `no space-item "${SPACE_NAME}" in the sidebar`);
      await waitFor(
        async () => (await textOf(byTestId('space-title'))).trim() === SPACE_NAME,
        'the new space is not the one shown',
      );
    });

    await check('un événement sans titre est refusé en français', [`créer l’espace « ${SPACE_NAME} »`], async () => {
      await byTestId('event-add-open').click();
      const title = byTestId('event-title');
      await shown(title, 'the event form did not open');
      await fillField('event-title', '');
      await byTestId('event-submit').click();
      const error = byTestId('error-message');
      await shown(error, 'no error-message after submitting an empty title');
      const text = await textOf(error);
      expect(text.includes('Le titre est obligatoire.'), `error-message reads "${text}"`);
      expect(await byTestId('event-dialog').isDisplayed(), 'the form closed although it was refused');
    });

    await check(`ajouter « ${EVENT_TITLE} »`, [`créer l’espace « ${SPACE_NAME} »`], async () => {
      if (!(await byTestId('event-dialog').isDisplayed())) await byTestId('event-add-open').click();
      const title = byTestId('event-title');
      await shown(title, 'the event form did not open');
      await title.setValue(EVENT_TITLE);
      await fillField('event-start', start);
      await fillField('event-end', end);
      await byTestId('event-place').setValue(EVENT_PLACE);
      await byTestId('event-submit').click();
      await shown(byTestId('event-dialog'), 'the event form stayed open', { gone: true });
    });

    await check('l’événement apparaît dans l’onglet « Liste »', [`ajouter « ${EVENT_TITLE} »`], async () => {
      await byTestId('tab-list').click();
      let row = '';
      await waitFor(async () => {
        for (const r of await browser.$$('[data-testid="event-row"]')) {
          const text = await textOf(r);
          if (text.includes(EVENT_TITLE)) {
            row = text;
            return true;
          }
        }
        return false;
      }, `no event-row contains "${EVENT_TITLE}"`);
      expect(row.includes(EVENT_PLACE), `the row does not show the place: "${row}"`);
      expect(row.includes('14:00'), `the row does not show 14:00: "${row}"`);
    });

    await check(`le code d’invitation commence par ${INVITE_PREFIX}`, [`créer l’espace « ${SPACE_NAME} »`], async () => {
      // An event form left open by a failed check above would cover the button.
      if (await byTestId('event-dialog').isDisplayed()) await byTestId('modal-close').click();
      await byTestId('invite-open').click();
      const code = byTestId('invite-code');
      await shown(code, 'no invite-code in the invitation dialog');
      const text = (await textOf(code)).trim();
      expect(text.startsWith(INVITE_PREFIX), `invite-code reads "${text.slice(0, 40)}…"`);
      expect(text.length > INVITE_PREFIX.length + 16, `invite-code is suspiciously short: "${text}"`);
      await byTestId('modal-close').click();
      await shown(code, 'the invitation dialog did not close', { gone: true });
    });

    await check('capture d’écran de la liste', ['l’événement apparaît dans l’onglet « Liste »'], async () => {
      const file = path.join(config.artifacts, 'agenda-list.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
    });
  } finally {
    if (browser) await browser.deleteSession().catch(() => {});
  }

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------
// Helpers.

async function openSession() {
  const capabilities = config.capabilities ?? {
    'tauri:options': { application: config.app },
    // tauri-driver forwards to WebKitWebDriver, which speaks classic WebDriver only;
    // WebdriverIO 9 would otherwise ask for a BiDi session.
    'wdio:enforceWebDriverClassic': true,
  };
  return remote({
    hostname: config.host,
    port: config.port,
    capabilities,
    logLevel: 'error',
    waitforTimeout: config.timeout,
    // tauri-driver may accept connections a moment before its WebKitWebDriver does;
    // WebdriverIO retries the session request.
    connectionRetryCount: 3,
    connectionRetryTimeout: 60000,
  });
}

/**
 * Runs one check unless a check it needs has failed, and records the result.
 * @param {string} name
 * @param {string[]} needs names of earlier checks
 * @param {() => Promise<void>} body
 */
async function check(name, needs, body) {
  const blocker = needs.find((n) => !results.find((r) => r.name === n)?.ok);
  if (blocker) {
    record(name, false, `not run: « ${blocker} » failed`);
    return;
  }
  const started = Date.now();
  try {
    await body();
    record(name, true, `${Date.now() - started} ms`);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    record(name, false, message);
    if (browser) {
      const file = path.join(config.artifacts, `failure-${results.length}.png`);
      await browser.saveScreenshot(file).then(
        () => console.log(`    capture : ${file}`),
        () => {},
      );
    }
  }
}

function record(name, ok, detail) {
  results.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${results.length} - ${name} (${detail})`);
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/** Waits until `condition` holds; the failure says what was awaited and what the UI shows. */
async function waitFor(condition, what) {
  try {
    await browser.waitUntil(condition, { timeout: config.timeout, interval: 200 });
  } catch {
    throw new Error(`${what} (waited ${config.timeout} ms; ${await errorText()})`);
  }
}

/** Waits until the element is shown (or, with `gone`, no longer shown). */
async function shown(element, what, { gone = false } = {}) {
  try {
    await element.waitForDisplayed({ timeout: config.timeout, reverse: gone, interval: 200 });
  } catch {
    throw new Error(`${what} (waited ${config.timeout} ms; ${await errorText()})`);
  }
}

/**
 * Sets the value of the field with that data-testid the way the UI sees typing: the
 * value, then `input` and `change` events. Used for date and time inputs, whose
 * native pickers WebDriver cannot type into reliably in WebKitGTK, and to replace a
 * prefilled value. The selector, not an element, crosses into the page: plain data is
 * what WebKitWebDriver's script arguments reliably carry.
 */
async function fillField(testid, value) {
  const element = byTestId(testid);
  await shown(element, `no field ${testid}`);
  await browser.execute(
    (selector, v) => {
      const node = document.querySelector(selector);
      node.value = v;
      node.dispatchEvent(new Event('input', { bubbles: true }));
      node.dispatchEvent(new Event('change', { bubbles: true }));
    },
    `[data-testid="${testid}"]`,
    value,
  );
  const actual = await element.getValue();
  expect(actual === value, `field ${testid} holds "${actual}", not "${value}"`);
}

/**
 * The text of an element. WebKitWebDriver's "element text" drops parts of some
 * elements (it returned only "P" for a sidebar item showing "P Pays — agents"), so
 * this reads the DOM's textContent; visibility is checked separately where it matters.
 */
async function textOf(element) {
  return String((await element.getProperty('textContent')) ?? '');
}

/** The text of the error message on screen, for failure reports. */
async function errorText() {
  try {
    const error = byTestId('error-message');
    return (await error.isExisting()) ? `error-message "${(await textOf(error)).trim()}"` : 'no error-message shown';
  } catch {
    return 'error-message unreadable';
  }
}

/** `YYYY-MM-DD` a week from today, local time: the event lands in the near future. */
function dayInAWeek() {
  const d = new Date();
  d.setDate(d.getDate() + 7);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

await main().catch((error) => {
  console.error(error);
  console.log(`e2e: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`);
  process.exitCode = 1;
});
