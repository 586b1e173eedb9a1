#!/usr/bin/env node
// Drives the built Bastide app in a real window: tauri-driver (port 4444) starts the
// app through WebKitWebDriver, and this script clicks and types like a person would.
// A second member is the command-line client (BASTIDE_CLI) with its own profile: it
// joins with the code the window shows, adds and edits an event, and the window must
// show its changes live, name its author in the event's history, and send desktop
// notifications for them. Then documents: a file the script writes is added by its path,
// submitted for approval, and a third member (another CLI profile, invited as validator)
// approves it from the command line; the window shows « Approuvé » by itself; then the
// second member submits a document to the window's person, who is notified and approves
// it in the window (as the space's admin); at the very end the window joins a second
// space as a validator (élu), approves there what its secretary submits, and imports
// a CSV table into that space's directory. Then the
// search box finds the second member's event without its accents. Then the daily
// services: a room is added and booked, a taken time is refused in French; a cantine
// site is added and a day's meal counts are typed with the keyboard.
// Usually started by run.sh, which provides the display, the session bus, the
// notification server, the driver and a fresh profile.
//
// Environment:
//   BASTIDE_APP     path of the built app binary (required unless E2E_CAPABILITIES is set)
//   BASTIDE_RELAY   relay address typed into "Créer un espace" (required)
//   BASTIDE_CLI     path of the built `bastide` client, the second member (required for
//                   the checks with a second member)
//   E2E_NOTIFY_LOG  the JSON-lines file notify-server.py writes (required for the
//                   notification checks)
//   E2E_ARTIFACTS   where screenshots go (default: tests/e2e/artifacts)
//   E2E_DRIVER_HOST, E2E_DRIVER_PORT   the WebDriver server (default 127.0.0.1:4444)
//   E2E_TIMEOUT_MS  how long to wait for each condition (default 20000)
//   E2E_LIVE_TIMEOUT_MS  how long another member's change may take to show up in the
//                   window, or the window's change to reach the other member (15000)
//   E2E_KEEP_PROFILE=1   keep the second member's profile (its path is printed)
//   E2E_CAPABILITIES, E2E_URL   for debugging the UI alone: JSON capabilities that
//                   replace the Tauri ones (e.g. MiniBrowser), and a page to open
//
// Output: one line per check, then as the last line `e2e: N passed, M failed`.
// Exit status 0 only when every check passed.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
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
  // "Within a moment": the app syncs live, so a few seconds at most; 15 s is the limit.
  liveTimeout: Number(env.E2E_LIVE_TIMEOUT_MS || 15000),
  cli: env.BASTIDE_CLI ?? '',
  notifyLog: env.E2E_NOTIFY_LOG ?? '',
  keepProfile: Boolean(env.E2E_KEEP_PROFILE),
  capabilities: env.E2E_CAPABILITIES ? JSON.parse(env.E2E_CAPABILITIES) : null,
  url: env.E2E_URL || null,
};

const SPACE_NAME = 'Pays — agents';
// Who the window's person says they are when creating the space.
const MY_NAME = 'Claire Martin';
const MY_ORGANISATION = 'Pays de la Bastide';
const MY_FUNCTION = 'Chargée de mission';
// The name the second member joins with.
const SECOND_NAME = 'Second membre';
const EVENT_TITLE = 'Conseil communautaire';
const EVENT_PLACE = 'Salle des fêtes';
const INVITE_PREFIX = 'BSTD1-';
// The role the invitation gives the second member: it adds and edits events.
const INVITE_ROLE = 'editor';
// The second member's event, then its title as changed in the window, then as
// changed again by the second member.
const REMOTE_TITLE = 'Marché de Noël';
const LOCAL_EDIT_TITLE = 'Marché de Noël (nocturne)';
const REMOTE_EDIT_TITLE = 'Marché de Noël (reporté)';
// The directory card the window adds.
const CARD_NAME = 'Dr Anne Roux';
const CARD_ORGANISATION = 'Maison de santé de Cajarc';
const CARD_DISCIPLINE = 'Médecine générale';
const CARD_PHONE = '05 65 40 00 01';
// The third member, a validator (élu) who approves documents from the command line.
const VALIDATOR_NAME = 'Élu validateur';
const VALIDATOR_ROLE = 'validator';
// The file the script writes and adds as a document; its title is the name without extension.
const DOC_FILE = 'Budget primitif 2027.txt';
const DOC_TITLE = 'Budget primitif 2027';
const DOC_FOLDER = 'Délibérations';
// What is typed in the search box: no accents, lower case; it must find REMOTE_TITLE.
const SEARCH_TEXT = 'marche noel';
// A document the second member submits to the window's person, who approves it.
const REVIEW_TITLE = 'Compte rendu commission voirie';
// The room the window adds and books (a week from today, 18:00 to 20:00).
const ROOM_NAME = 'Salle du conseil';
const BOOKING_TITLE = 'Conseil municipal';
// The cantine site the window adds, and the counts typed for its first open day
// (maternelle, élémentaire, adulte).
const SITE_NAME = 'École des Tilleuls';
const MEAL_COUNTS = [24, 31, 4];
// A second space, made by a town hall's secretary (another CLI profile), which the
// window's person joins as a validator (élu): a document submitted there to all
// validators is approved in the window.
const ELUS_SPACE = 'Élus — Cajarc';
const SECRETARY_NAME = 'Secrétaire de mairie';
const ELUS_DOC_TITLE = 'Délibération cantine 2027';
// A consultation the same secretary opens to the window's person as a reader: they
// comment on the project, and can do nothing else.
const CONSULTATION_SPACE = 'Consultation — PLUi';
const CONSULTATION_DOC_TITLE = 'Projet de PLUi';
const READER_COMMENT = 'La zone 3 empiète sur le périmètre du captage.';
// Window widths the agenda header must fit in (the app's minimum is 900 px).
const NARROW_WIDTH = 900;

const results = [];
/** @type {WebdriverIO.Browser | null} */
let browser = null;
/** The second member's profile folder, made when it joins. */
let cliProfile = '';
/** The validator's profile folder, made when it joins. */
let validatorProfile = '';
/** Where the script writes the file it adds as a document. */
let docFolder = '';
/** The secretary's profile folder (the admin of the second space). */
let secretaryProfile = '';

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
  /** Read from the window by the invitation check, given to the second member. */
  let inviteCode = '';
  /** The id of the event the second member adds. */
  let remoteId = '';

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
      // Set even when prefilled: the form remembers who created or joined last time.
      await fillField('create-me-name', MY_NAME);
      await fillField('create-me-organisation', MY_ORGANISATION);
      await fillField('create-me-function', MY_FUNCTION);
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

    await check('l’en-tête de l’agenda tient dans la fenêtre, même à 900 px', [`créer l’espace « ${SPACE_NAME} »`], async () => {
      const problems = await headerProblems();
      expect(problems.length === 0, `at ${await innerWidth()} px: ${problems.join('; ')}`);
      const relay = (await textOf(byTestId('agenda-relay'))).trim();
      expect(!relay.includes('#'), `the header shows the whole relay address "${relay}"`);
      // The same at the narrowest width the app allows. Some window systems refuse a
      // size; what matters is the width the page actually got.
      const before = await browser.getWindowSize();
      try {
        await browser.setWindowSize(NARROW_WIDTH, before.height);
        await waitFor(async () => (await innerWidth()) <= NARROW_WIDTH, `the window did not narrow to ${NARROW_WIDTH} px`);
        const narrow = await headerProblems();
        const file = path.join(config.artifacts, `agenda-${NARROW_WIDTH}px.png`);
        await browser.saveScreenshot(file);
        console.log(`    capture : ${file}`);
        expect(narrow.length === 0, `at ${await innerWidth()} px: ${narrow.join('; ')}`);
      } finally {
        await browser.setWindowSize(before.width, before.height).catch(() => {});
      }
    });

    await check(`le code d’invitation commence par ${INVITE_PREFIX}`, [`créer l’espace « ${SPACE_NAME} »`], async () => {
      // An event form left open by a failed check above would cover the button.
      if (await byTestId('event-dialog').isDisplayed()) await byTestId('modal-close').click();
      // "Inviter…" is offered once the window knows it is the space's administrator.
      await shown(byTestId('invite-open'), 'no "Inviter…" button for the space\'s creator');
      await byTestId('invite-open').click();
      // The role and the validity come first; the second member writes events, so
      // "Rédacteur (agent)", for 7 days (the defaults, set anyway to be explicit).
      await fillField('invite-role', INVITE_ROLE);
      await fillField('invite-days', '7');
      await byTestId('invite-submit').click();
      const code = byTestId('invite-code');
      await shown(code, 'no invite-code in the invitation dialog');
      const summary = (await textOf(byTestId('invite-summary'))).replace(/\s+/g, ' ');
      expect(summary.includes('Rédacteur (agent)'), `invite-summary reads "${summary}"`);
      const text = (await textOf(code)).trim();
      expect(text.startsWith(INVITE_PREFIX), `invite-code reads "${text.slice(0, 40)}…"`);
      expect(text.length > INVITE_PREFIX.length + 16, `invite-code is suspiciously short: "${text}"`);
      inviteCode = text;
      const relay = (await textOf(byTestId('invite-relay'))).trim();
      const hostPort = /^quic:\/\/([^#]+)/.exec(config.relay)?.[1] ?? config.relay;
      expect(relay.includes(hostPort), `invite-relay reads "${relay}", not ${hostPort}`);
      const file = path.join(config.artifacts, 'invite-dialog.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
      await byTestId('modal-close').click();
      await shown(code, 'the invitation dialog did not close', { gone: true });
    });

    // Before the second member redeems it: the code just made is still open.
    const invited = `le code d’invitation commence par ${INVITE_PREFIX}`;
    await check('la liste des invitations montre le code créé comme « ouverte »', [invited], async () => {
      // A dialog left open by a failed check above would cover the switch.
      for (const dialog of ['event-dialog', 'invite-dialog']) {
        if (await byTestId(dialog).isDisplayed()) await byTestId('modal-close').click();
      }
      await byTestId('view-members').click();
      await shown(byTestId('invitations-section'), 'no invitations-section in the administrator\'s members list');
      const wanted = '1 invitation-row: open, Nouvelle personne — Rédacteur (agent), ouverte';
      let seen = '';
      await waitFor(async () => {
        seen = await browser.execute(() => {
          const rows = [...document.querySelectorAll('[data-testid="invitation-row"]')];
          const described = rows.map((row) => {
            const text = (id) =>
              (row.querySelector(`[data-testid="${id}"]`)?.textContent ?? '').replace(/\s+/g, ' ').trim();
            return `${row.getAttribute('data-state')}, ${text('invitation-for')}, ${text('invitation-state')}`;
          });
          return `${rows.length} invitation-row: ${described.join('; ')}`;
        });
        return seen === wanted;
      }, 'the invitations do not show the code just made, alone and open');
      expect(seen === wanted, seen);
      // Valid 7 days from now, shown in local time ("expire le 30/11/2026 14:05").
      const expiry = normalise(await textOf(byTestId('invitation-expiry'))).trim();
      const m = /^expire le (\d\d)\/(\d\d)\/(\d{4})\D+(\d\d):(\d\d)$/.exec(expiry);
      expect(m !== null, `invitation-expiry reads "${expiry}"`);
      const at = new Date(Number(m[3]), Number(m[2]) - 1, Number(m[1]), Number(m[4]), Number(m[5]));
      const week = Date.now() + 7 * 24 * 60 * 60 * 1000;
      expect(Math.abs(at.getTime() - week) < 10 * 60 * 1000, `invitation-expiry reads "${expiry}", not 7 days from now`);
      expect(await byTestId('invitation-revoke').isDisplayed(), 'no "Retirer" button on the open invitation');
      const file = path.join(config.artifacts, 'invitations.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
      await byTestId('view-agenda').click();
      await shown(byTestId('tab-list'), 'the agenda did not come back');
    });

    await check(`la liste des membres montre ${MY_NAME}, le créateur, comme Administrateur`, [`créer l’espace « ${SPACE_NAME} »`], async () => {
      // A dialog left open by a failed check above would cover the switch.
      for (const dialog of ['event-dialog', 'invite-dialog']) {
        if (await byTestId(dialog).isDisplayed()) await byTestId('modal-close').click();
      }
      await byTestId('view-members').click();
      await shown(byTestId('members-table'), 'the members list did not appear');
      const wanted = `1 member-row, "vous" is ${MY_NAME}, Administrateur`;
      let seen = '';
      await waitFor(async () => {
        seen = await browser.execute(() => {
          const rows = [...document.querySelectorAll('[data-testid="member-row"]')];
          const me = rows.find((row) => row.querySelector('[data-testid="member-me"]'));
          if (!me) return `${rows.length} member-row, none marked "vous"`;
          const name = me.querySelector('[data-testid="member-name"]')?.textContent ?? '';
          // An administrator sees a role select; anyone else a plain label.
          const role = me.querySelector('[data-testid="member-role"], [data-testid="member-role-label"]');
          const label = role && role.tagName === 'SELECT' ? role.selectedOptions[0]?.textContent : role?.textContent;
          return `${rows.length} member-row, "vous" is ${name.trim()}, ${String(label ?? '').trim()}`;
        });
        return seen === wanted;
      }, `the members list does not show ${MY_NAME} alone as Administrateur`);
      expect(seen === wanted, seen);
      const row = (await textOf(byTestId('member-row'))).replace(/\s+/g, ' ');
      expect(row.includes(MY_ORGANISATION) && row.includes(MY_FUNCTION), `the creator's row reads "${row}"`);
      const file = path.join(config.artifacts, 'members.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
      await byTestId('view-agenda').click();
      await shown(byTestId('tab-list'), 'the agenda did not come back');
    });

    await check(`l’annuaire montre la fiche « ${CARD_NAME} » ajoutée, en cartes et en tableau`, [`créer l’espace « ${SPACE_NAME} »`], async () => {
      // A dialog left open by a failed check above would cover the switch.
      for (const dialog of ['event-dialog', 'invite-dialog']) {
        if (await byTestId(dialog).isDisplayed()) await byTestId('modal-close').click();
      }
      try {
        await byTestId('view-directory').click();
        await shown(byTestId('directory-panel'), 'the directory did not appear');
        // The space's creator is its administrator: "Nouvelle fiche" is offered.
        await shown(byTestId('card-add-open'), 'no "Nouvelle fiche" button for the space\'s creator');
        await byTestId('card-add-open').click();
        const name = byTestId('card-name');
        await shown(name, 'the card form did not open');
        await name.setValue(CARD_NAME);
        await fillField('card-organisation', CARD_ORGANISATION);
        await fillField('card-discipline', CARD_DISCIPLINE);
        await fillField('card-phone', CARD_PHONE);
        await byTestId('card-submit').click();
        await shown(byTestId('card-dialog'), 'the card form stayed open', { gone: true });

        /** The text of the first element with that test id that names the card, or ''. */
        const described = (testid) =>
          browser.execute(
            (selector, wanted) => {
              for (const node of document.querySelectorAll(selector)) {
                const text = (node.textContent ?? '').replace(/\s+/g, ' ').trim();
                if (text.includes(wanted)) return text;
              }
              return '';
            },
            `[data-testid="${testid}"]`,
            CARD_NAME,
          );
        let card = '';
        await waitFor(async () => (card = normalise(await described('card-item'))) !== '', `no card-item shows "${CARD_NAME}"`);
        for (const part of [CARD_ORGANISATION, CARD_DISCIPLINE, CARD_PHONE]) {
          expect(card.includes(part), `the card does not show "${part}": "${card}"`);
        }

        await byTestId('directory-mode-table').click();
        await shown(byTestId('card-row'), 'the table view shows no card-row');
        let row = '';
        await waitFor(async () => (row = normalise(await described('card-row'))) !== '', `no card-row shows "${CARD_NAME}"`);
        for (const part of [CARD_ORGANISATION, CARD_DISCIPLINE, CARD_PHONE]) {
          expect(row.includes(part), `the table row does not show "${part}": "${row}"`);
        }
        const file = path.join(config.artifacts, 'directory.png');
        await browser.saveScreenshot(file);
        console.log(`    capture : ${file}`);
      } catch (error) {
        // Taken here: going back to the agenda below would hide what went wrong.
        const file = path.join(config.artifacts, 'directory-failure.png');
        await browser.saveScreenshot(file).then(
          () => console.log(`    capture : ${file}`),
          () => {},
        );
        throw error;
      } finally {
        // Later checks work in the agenda, whatever happened here.
        if (await byTestId('card-dialog').isDisplayed().catch(() => false)) {
          await byTestId('modal-close').click().catch(() => {});
        }
        await byTestId('view-agenda').click().catch(() => {});
      }
      await shown(byTestId('tab-list'), 'the agenda did not come back');
    });

    await check('capture d’écran de la liste', ['l’événement apparaît dans l’onglet « Liste »'], async () => {
      const file = path.join(config.artifacts, 'agenda-list.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
    });
    const joined = 'un second membre rejoint l’espace avec le code (bastide space join)';
    await check(joined, [`le code d’invitation commence par ${INVITE_PREFIX}`], async () => {
      expect(config.cli !== '', 'set BASTIDE_CLI to the built bastide client');
      // The list shows what arrives; choosing the tab now is the last click until the
      // second member's event must have appeared by itself.
      await byTestId('tab-list').click();
      cliProfile = await mkdtemp(path.join(os.tmpdir(), 'bastide-e2e-cli.'));
      const space = await cli('space', 'join', inviteCode, '--name', SECOND_NAME);
      expect(space !== '', 'space join printed no space id');
    });

    const added = `le second membre ajoute « ${REMOTE_TITLE} » et synchronise`;
    await check(added, [joined], async () => {
      remoteId = await cli(
        'agenda', 'add', REMOTE_TITLE,
        '--start', rfc3339(`${day}T10:00`), '--end', rfc3339(`${day}T12:00`), '--place', 'Place du Marché',
      );
      expect(remoteId !== '', 'agenda add printed no event id');
      await cli('sync');
    });

    const seen = `« ${REMOTE_TITLE} » apparaît dans la fenêtre sans clic`;
    await check(seen, [added], async () => {
      let row = '';
      await waitFor(
        async () => {
          row = await rowText(REMOTE_TITLE);
          return row !== '';
        },
        `no event-row shows "${REMOTE_TITLE}"`,
        { timeout: config.liveTimeout },
      );
      expect(row.includes('10:00'), `the row does not show 10:00: "${row}"`);
      expect(row.includes('Place du Marché'), `the row does not show the place: "${row}"`);
    });

    await check('capture d’écran avec l’événement du second membre', [seen], async () => {
      const file = path.join(config.artifacts, 'agenda-second-client.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
    });

    await check(`une notification « Agenda » annonce « ${REMOTE_TITLE} »`, [added], async () => {
      const note = await notification(`a ajouté « ${REMOTE_TITLE} »`);
      expect(note.summary === 'Agenda', `the notification's summary is "${note.summary}"`);
      expect(note.app_name === 'Bastide', `the notification comes from "${note.app_name}"`);
    });

    const edited = `modifié dans la fenêtre, le titre arrive chez le second membre`;
    await check(edited, [seen], async () => {
      await openRow(REMOTE_TITLE);
      const title = byTestId('event-title');
      await shown(title, 'the event form did not open');
      const before = await title.getValue();
      expect(before === REMOTE_TITLE, `the form shows the title "${before}"`);
      await fillField('event-title', LOCAL_EDIT_TITLE);
      await byTestId('event-submit').click();
      await shown(byTestId('event-dialog'), 'the event form stayed open', { gone: true });
      let last = '';
      await eventually(
        async () => {
          await cli('sync');
          const events = JSON.parse(await cli('agenda', 'list', '--json'));
          const event = events.find((e) => e.id === remoteId);
          last = event ? event.title : '(no such event)';
          return last === LOCAL_EDIT_TITLE;
        },
        () => `the second member still sees the title "${last}"`,
        { timeout: config.liveTimeout, interval: 500 },
      );
    });

    await check('pas de notification pour sa propre modification', [edited], async () => {
      const own = (await notifications()).filter((n) => normalise(n.body).includes(LOCAL_EDIT_TITLE));
      expect(own.length === 0, `the window notified its own change: "${own[0]?.body}"`);
    });

    const remoteEdit = `modifié par le second membre, le titre change dans la fenêtre`;
    await check(remoteEdit, [edited], async () => {
      await cli('agenda', 'edit', remoteId, '--title', REMOTE_EDIT_TITLE);
      await cli('sync');
      await waitFor(async () => (await rowText(REMOTE_EDIT_TITLE)) !== '', `no event-row shows "${REMOTE_EDIT_TITLE}"`, {
        timeout: config.liveTimeout,
      });
    });

    await check(`une notification annonce la modification « ${REMOTE_EDIT_TITLE} »`, [remoteEdit], async () => {
      const note = await notification(`a modifié « ${REMOTE_EDIT_TITLE} »`);
      expect(note.summary === 'Agenda', `the notification's summary is "${note.summary}"`);
    });

    await check(`l’historique de l’événement nomme ${SECOND_NAME} et ${MY_NAME}`, [remoteEdit], async () => {
      await openRow(REMOTE_EDIT_TITLE);
      const history = byTestId('event-history');
      await shown(history, 'no event-history in the event form');
      // A <details>, closed at first: open it as a person would.
      await history.$('summary').click();
      let rows = [];
      await waitFor(async () => {
        rows = await browser.execute(() =>
          [...document.querySelectorAll('[data-testid="event-history"] [data-testid="history-row"]')].map((row) =>
            (row.textContent ?? '').replace(/\s+/g, ' ').trim(),
          ),
        );
        return rows.length >= 2;
      }, 'event-history never showed at least 2 history-row');
      const listed = rows.map((r) => `"${r}"`).join(', ');
      // Newest first: the second member created the event, the window changed it, then
      // the second member again.
      expect(rows.some((r) => r.startsWith(`Créé par ${SECOND_NAME} le `)), `no history-row "Créé par ${SECOND_NAME}": ${listed}`);
      expect(rows.some((r) => r.startsWith(`Modifié par ${SECOND_NAME} le `)), `no history-row "Modifié par ${SECOND_NAME}": ${listed}`);
      expect(rows.some((r) => r.startsWith(`Modifié par ${MY_NAME} (vous) le `)), `no history-row for the window's own edit: ${listed}`);
      expect(await byTestId('history-row').isDisplayed(), 'the history rows are not shown once the section is open');
      const file = path.join(config.artifacts, 'event-history.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
      await byTestId('modal-close').click();
      await shown(byTestId('event-dialog'), 'the event form did not close', { gone: true });
    });
    // Documents. The validator joins first: "tous les validateurs" are those the
    // window knows when it submits.
    const validatorJoined = `un élu rejoint l’espace comme « Validateur (élu) » (second profil bastide)`;
    await check(validatorJoined, [`créer l’espace « ${SPACE_NAME} »`], async () => {
      expect(config.cli !== '', 'set BASTIDE_CLI to the built bastide client');
      for (const dialog of ['event-dialog', 'invite-dialog', 'doc-dialog']) {
        if (await byTestId(dialog).isDisplayed()) await byTestId('modal-close').click();
      }
      await shown(byTestId('invite-open'), 'no "Inviter…" button for the space\'s creator');
      await byTestId('invite-open').click();
      await fillField('invite-role', VALIDATOR_ROLE);
      await fillField('invite-days', '7');
      await byTestId('invite-submit').click();
      const code = byTestId('invite-code');
      await shown(code, 'no invite-code in the invitation dialog');
      const summary = (await textOf(byTestId('invite-summary'))).replace(/\s+/g, ' ');
      expect(summary.includes('Validateur (élu)'), `invite-summary reads "${summary}"`);
      const text = (await textOf(code)).trim();
      await byTestId('modal-close').click();
      await shown(code, 'the invitation dialog did not close', { gone: true });
      validatorProfile = await mkdtemp(path.join(os.tmpdir(), 'bastide-e2e-validator.'));
      const space = await cliAs(validatorProfile, 'space', 'join', text, '--name', VALIDATOR_NAME);
      expect(space !== '', 'space join printed no space id');
      await cliAs(validatorProfile, 'sync');
      // The window learns of the new member from the relay.
      await byTestId('view-members').click();
      await waitFor(
        () =>
          browser.execute(
            (wanted) =>
              [...document.querySelectorAll('[data-testid="member-row"]')].some((row) =>
                (row.textContent ?? '').includes(wanted),
              ),
            VALIDATOR_NAME,
          ),
        `the members list never showed "${VALIDATOR_NAME}"`,
        { timeout: config.liveTimeout },
      );
    });

    /** The doc-item of the document titled DOC_TITLE: its id and status, or null. */
    const docItem = () =>
      browser.execute((wanted) => {
        for (const node of document.querySelectorAll('[data-testid="doc-item"]')) {
          if ((node.querySelector('.title')?.textContent ?? '').trim() !== wanted) continue;
          const badge = node.querySelector('[data-testid="doc-status"]');
          return {
            id: node.getAttribute('data-doc-id') ?? '',
            status: badge?.getAttribute('data-status') ?? '',
            label: (badge?.textContent ?? '').replace(/\s+/g, ' ').trim(),
            folder: (node.closest('ul')?.previousElementSibling?.textContent ?? '').trim(),
          };
        }
        return null;
      }, DOC_TITLE);
    /** The id of the document the window added. */
    let docId = '';

    const docAdded = `ajouter « ${DOC_FILE} » par son chemin dans « ${DOC_FOLDER} » : Brouillon`;
    await check(docAdded, [`créer l’espace « ${SPACE_NAME} »`], async () => {
      for (const dialog of ['event-dialog', 'invite-dialog', 'doc-dialog']) {
        if (await byTestId(dialog).isDisplayed()) await byTestId('modal-close').click();
      }
      docFolder = await mkdtemp(path.join(os.tmpdir(), 'bastide-e2e-doc.'));
      const file = path.join(docFolder, DOC_FILE);
      await writeFile(file, `Budget primitif 2027\nSection de fonctionnement : 1 250 000 €\n`, 'utf8');
      await byTestId('view-documents').click();
      await shown(byTestId('documents-panel'), 'the documents view did not appear');
      await shown(byTestId('doc-add-open'), 'no "Ajouter un document" button for the space\'s creator');
      await byTestId('doc-add-open').click();
      await fillField('doc-path', file);
      await fillField('doc-folder', DOC_FOLDER);
      await byTestId('doc-add-submit').click();
      let item = null;
      await waitFor(async () => (item = await docItem()) !== null, `no doc-item titled "${DOC_TITLE}"`);
      docId = item.id;
      expect(docId !== '', 'the doc-item has no data-doc-id');
      expect(item.status === 'draft' && item.label === 'Brouillon', `the document's status reads "${item.label}" (${item.status})`);
      expect(item.folder === DOC_FOLDER, `the document is filed under "${item.folder}"`);
    });

    const docSubmitted = 'soumis à tous les validateurs, le document est « En attente »';
    await check(docSubmitted, [docAdded, validatorJoined], async () => {
      await browser.execute((id) => document.querySelector(`[data-testid="doc-item"][data-doc-id="${id}"]`)?.click(), docId);
      await shown(byTestId('doc-dialog'), 'the document dialog did not open');
      await shown(byTestId('doc-version-row'), 'the document dialog lists no version');
      await byTestId('doc-submit-open').click();
      await shown(byTestId('doc-submit-confirm'), 'no "Soumettre" button after « Soumettre pour approbation »');
      // "Tous les validateurs" is the default; chosen anyway to be explicit.
      await byTestId('doc-submit-all').click();
      await byTestId('doc-submit-confirm').click();
      let item = null;
      await waitFor(
        async () => (item = await docItem())?.status === 'awaiting',
        `the document never became "En attente" (last: ${JSON.stringify(item)})`,
      );
      expect(item.label.startsWith('En attente'), `the document's status reads "${item.label}"`);
      await byTestId('modal-close').click();
      await shown(byTestId('doc-dialog'), 'the document dialog did not close', { gone: true });
    });

    const docApproved = `approuvé par ${VALIDATOR_NAME} (bastide doc approve), « Approuvé » s’affiche sans clic`;
    await check(docApproved, [docSubmitted], async () => {
      // The validator gets the document, then approves it.
      await eventually(
        async () => {
          await cliAs(validatorProfile, 'sync');
          const docs = JSON.parse(await cliAs(validatorProfile, 'doc', 'list', '--json'));
          return docs.some((d) => d.id === docId);
        },
        () => `the validator never received the document ${docId}`,
        { timeout: config.liveTimeout, interval: 500 },
      );
      await cliAs(validatorProfile, 'doc', 'approve', docId);
      await cliAs(validatorProfile, 'sync');
      let item = null;
      await waitFor(
        async () => (item = await docItem())?.status === 'approved',
        `the document never showed "Approuvé" (last: ${JSON.stringify(item)})`,
        { timeout: config.liveTimeout },
      );
      expect(item.label === 'Approuvé', `the document's status reads "${item.label}"`);
      const file = path.join(config.artifacts, 'documents.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
    });

    await check(`la recherche « ${SEARCH_TEXT} » trouve « ${REMOTE_TITLE} »`, [seen], async () => {
      for (const dialog of ['event-dialog', 'invite-dialog', 'doc-dialog']) {
        if (await byTestId(dialog).isDisplayed()) await byTestId('modal-close').click();
      }
      const input = byTestId('search-input');
      await shown(input, 'no search-input in the window');
      await input.setValue(SEARCH_TEXT);
      let found = '';
      await waitFor(async () => {
        found = await browser.execute((wanted) => {
          for (const node of document.querySelectorAll('[data-testid="search-result"]')) {
            const text = (node.textContent ?? '').replace(/\s+/g, ' ').trim();
            if (node.getAttribute('data-kind') === 'agenda.event' && text.includes(wanted)) return text;
          }
          return '';
        }, REMOTE_TITLE);
        return found !== '';
      }, `no search-result for an event "${REMOTE_TITLE}"`);
      expect(found.includes('Événement'), `the result does not say "Événement": "${found}"`);
      const marks = await browser.execute(() =>
        [...document.querySelectorAll('[data-testid="search-result"] mark')].map((m) => m.textContent),
      );
      expect(marks.includes('Marché') && marks.includes('Noël'), `the matches highlighted are ${JSON.stringify(marks)}`);
      const file = path.join(config.artifacts, 'search.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
    });

    const approvedHere = `un document soumis à ${MY_NAME} est approuvé dans la fenêtre`;
    await check(approvedHere, [seen, docAdded], async () => {
      await closeDialogs();
      const file = path.join(docFolder, `${REVIEW_TITLE}.txt`);
      await writeFile(file, 'Commission voirie : réfection du chemin des Vignes.\n', 'utf8');
      const id = (await cli('doc', 'add', file, '--folder', 'Comptes rendus')).trim();
      const members = JSON.parse(await cli('space', 'members', '--json'));
      const mine = members.find((m) => m.name === MY_NAME);
      expect(!!mine, `no member named ${MY_NAME} in ${JSON.stringify(members.map((m) => m.name))}`);
      await cli('doc', 'submit', id, '--validators', mine.id);
      await cli('sync');
      await byTestId('view-documents').click();
      const status = () =>
        browser.execute(
          (wanted) => document.querySelector(`[data-testid="doc-item"][data-doc-id="${wanted}"] [data-testid="doc-status"]`)?.getAttribute('data-status') ?? '',
          id,
        );
      await waitFor(async () => (await status()) === 'awaiting', `the submitted document never showed « En attente » here`, {
        timeout: config.liveTimeout,
      });
      const note = await notification(`« ${REVIEW_TITLE} » attend votre approbation`);
      expect(note.summary === 'Documents', `the notification's summary is "${note.summary}"`);
      await browser.execute((wanted) => document.querySelector(`[data-testid="doc-item"][data-doc-id="${wanted}"]`)?.click(), id);
      await shown(byTestId('doc-approve'), 'no « Approuver » button for the validator named');
      await byTestId('doc-approve').click();
      await waitFor(async () => (await status()) === 'approved', 'the document never showed « Approuvé » after approving');
      await closeDialogs();
      await eventually(
        async () => {
          await cli('sync');
          return JSON.parse(await cli('doc', 'show', id, '--json')).status === 'approved';
        },
        () => 'the second member never saw the approval',
        { timeout: config.liveTimeout, interval: 500 },
      );
    });

    const bookingDay = dayInAWeek();
    const roomBooked = `réserver « ${ROOM_NAME} » : la réservation s’affiche « Confirmée »`;
    await check(roomBooked, [`créer l’espace « ${SPACE_NAME} »`], async () => {
      await closeDialogs();
      await byTestId('view-bookings').click();
      await shown(byTestId('bookings-panel'), 'the bookings view did not appear');
      await byTestId('resource-new').click();
      await shown(byTestId('resource-dialog'), 'the resource form did not open');
      await byTestId('resource-name').setValue(ROOM_NAME);
      await byTestId('resource-submit').click();
      await shown(byTestId('resource-dialog'), 'the resource form stayed open', { gone: true });
      await shown(byTestId('bookings-row'), 'no line for the new resource in the day view');
      await byTestId('booking-new').click();
      await shown(byTestId('booking-dialog'), 'the booking form did not open');
      await byTestId('booking-title').setValue(BOOKING_TITLE);
      await fillField('booking-day', bookingDay);
      await fillField('booking-start', '18:00');
      await fillField('booking-end', '20:00');
      await byTestId('booking-submit').click();
      await shown(byTestId('booking-dialog'), 'the booking form stayed open', { gone: true });
      let blocks = [];
      await waitFor(async () => (blocks = await bookingBlocks()).length === 1, 'no booking block in the day view');
      expect(blocks[0].text.includes(BOOKING_TITLE), `the block reads "${blocks[0].text}"`);
      expect(blocks[0].status === 'confirmed' && blocks[0].text.includes('Confirmée'), `the block's status is ${blocks[0].status}`);
      const file = path.join(config.artifacts, 'bookings.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
    });

    await check('un créneau déjà réservé est refusé en français, sans rien enregistrer', [roomBooked], async () => {
      await byTestId('booking-new').click();
      await shown(byTestId('booking-dialog'), 'the booking form did not open');
      await byTestId('booking-title').setValue('Doublon');
      await fillField('booking-day', bookingDay);
      await fillField('booking-start', '19:00');
      await fillField('booking-end', '21:00');
      await byTestId('booking-submit').click();
      const error = byTestId('error-message');
      await shown(error, 'no error-message after booking a taken time');
      const text = await textOf(error);
      expect(text.includes('Ce créneau est déjà réservé'), `error-message reads "${text}"`);
      expect(await byTestId('booking-dialog').isDisplayed(), 'the form closed although it was refused');
      await byTestId('modal-close').click();
      const blocks = await bookingBlocks();
      expect(blocks.length === 1, `the day view shows ${blocks.length} bookings`);
    });

    const mealsEntered = `saisir au clavier les repas d’une journée à « ${SITE_NAME} » : les totaux suivent`;
    await check(mealsEntered, [`créer l’espace « ${SPACE_NAME} »`], async () => {
      await closeDialogs();
      await byTestId('view-cantine').click();
      await shown(byTestId('cantine-panel'), 'the cantine view did not appear');
      await byTestId('cantine-site-new').click();
      await shown(byTestId('cantine-site-dialog'), 'the site form did not open');
      await byTestId('cantine-site-name').setValue(SITE_NAME);
      await byTestId('cantine-site-submit').click();
      await shown(byTestId('cantine-sheet'), 'no month sheet for the new site');
      // The first open day's first cell, then the keyboard only.
      const first = browser.$('[data-testid="cantine-cell"][data-cell="0:0"]');
      await shown(first, 'no open day in this month\'s sheet');
      await first.click();
      for (const count of MEAL_COUNTS) {
        await browser.keys(String(count).split(''));
        await browser.keys('Tab');
      }
      const sum = MEAL_COUNTS.reduce((a, b) => a + b, 0);
      let total = '';
      await waitFor(
        async () => (total = (await textOf(byTestId('cantine-grand-total'))).trim()) === String(sum),
        `the grand total never read ${sum} (last "${total}"; ${await errorText()})`,
      );
      const file = path.join(config.artifacts, 'cantine.png');
      await browser.saveScreenshot(file);
      console.log(`    capture : ${file}`);
    });

    await check('les repas saisis restent après un changement d’onglet', [mealsEntered], async () => {
      await byTestId('view-agenda').click();
      await byTestId('view-cantine').click();
      await shown(byTestId('cantine-sheet'), 'no month sheet after coming back');
      let values = [];
      await waitFor(async () => {
        values = await browser.execute(() =>
          [0, 1, 2].map((col) => document.querySelector(`[data-testid="cantine-cell"][data-cell="0:${col}"]`)?.value ?? null),
        );
        return values.join(',') === MEAL_COUNTS.join(',');
      }, `the first open day reads ${JSON.stringify(values)}`);
    });

    await check(`la liste « Notifications » garde l’annonce de « ${REMOTE_TITLE} »`, [added], async () => {
      await closeDialogs();
      await shown(byTestId('notifications-unread'), 'no unread count on « Notifications »');
      await byTestId('notifications-open').click();
      await shown(byTestId('notifications-dialog'), 'the notification list did not open');
      let texts = [];
      await waitFor(async () => {
        texts = await browser.execute(() =>
          [...document.querySelectorAll('[data-testid="notification"]')].map((n) => (n.textContent ?? '').replace(/\s+/g, ' ')),
        );
        return texts.some((t) => t.includes(REMOTE_TITLE) && t.includes('Agenda'));
      }, `the list holds ${JSON.stringify(texts)}`);
      await byTestId('modal-close').click();
      await shown(byTestId('notifications-unread'), 'the unread count stayed after reading the list', { gone: true });
    });

    // Approving as a validator (élu), not as an admin: the window joins a space where
    // that is its role, and approves what the secretary submits to all validators.
    const joinedAsValidator = `rejoindre « ${ELUS_SPACE} » comme « Validateur (élu) » avec un code`;
    await check(joinedAsValidator, ['la fenêtre de Bastide s’ouvre'], async () => {
      expect(config.cli !== '', 'set BASTIDE_CLI to the built bastide client');
      await closeDialogs();
      secretaryProfile = await mkdtemp(path.join(os.tmpdir(), 'bastide-e2e-secretary.'));
      await cliAs(secretaryProfile, 'space', 'create', ELUS_SPACE, '--relay', config.relay, '--name', SECRETARY_NAME);
      const code = await cliAs(secretaryProfile, 'space', 'invite', '--role', VALIDATOR_ROLE);
      expect(code.startsWith(INVITE_PREFIX), `space invite printed "${code}"`);
      await joinInWindow(code, ELUS_SPACE);
      // A validator is no admin: no invitations to hand out.
      expect(!(await byTestId('invite-open').isDisplayed()), 'a validator is offered « Inviter… »');
      await byTestId('view-members').click();
      await waitFor(
        () =>
          browser.execute(
            (wanted) =>
              [...document.querySelectorAll('[data-testid="member-row"]')].some(
                (row) => (row.textContent ?? '').includes(wanted) && row.getAttribute('data-role') === 'validator',
              ),
            MY_NAME,
          ),
        `the members list never showed ${MY_NAME} as « Validateur (élu) »`,
      );
    });

    const approvedAsValidator = `soumis à tous les validateurs de « ${ELUS_SPACE} », le document est approuvé dans la fenêtre`;
    await check(approvedAsValidator, [joinedAsValidator], async () => {
      // The secretary learns of the new validator, then files and submits.
      await eventually(
        async () => {
          await cliAs(secretaryProfile, 'sync');
          const members = JSON.parse(await cliAs(secretaryProfile, 'space', 'members', '--json'));
          return members.some((m) => m.name === MY_NAME && m.role === VALIDATOR_ROLE);
        },
        () => `the secretary never saw ${MY_NAME} join as a validator`,
        { timeout: config.liveTimeout, interval: 500 },
      );
      const file = path.join(docFolder || os.tmpdir(), `${ELUS_DOC_TITLE}.txt`);
      await writeFile(file, 'Tarifs de la cantine scolaire pour 2027.\n', 'utf8');
      const id = await cliAs(secretaryProfile, 'doc', 'add', file, '--folder', 'Délibérations');
      await rm(file, { force: true });
      await cliAs(secretaryProfile, 'doc', 'submit', id, '--validators', 'all');
      await cliAs(secretaryProfile, 'sync');
      await byTestId('view-documents').click();
      const status = () =>
        browser.execute(
          (wanted) =>
            document
              .querySelector(`[data-testid="doc-item"][data-doc-id="${wanted}"] [data-testid="doc-status"]`)
              ?.getAttribute('data-status') ?? '',
          id,
        );
      await waitFor(async () => (await status()) === 'awaiting', 'the submitted document never showed « En attente » here', {
        timeout: config.liveTimeout,
      });
      await browser.execute(
        (wanted) => document.querySelector(`[data-testid="doc-item"][data-doc-id="${wanted}"]`)?.click(),
        id,
      );
      await shown(byTestId('doc-approve'), 'no « Approuver » button for a validator');
      await byTestId('doc-approve').click();
      await waitFor(async () => (await status()) === 'approved', 'the document never showed « Approuvé » after approving');
      const shot = path.join(config.artifacts, 'approved-as-validator.png');
      await browser.saveScreenshot(shot);
      console.log(`    capture : ${shot}`);
      await closeDialogs();
      // The secretary sees it approved by the élu's signature.
      await eventually(
        async () => {
          await cliAs(secretaryProfile, 'sync');
          return JSON.parse(await cliAs(secretaryProfile, 'doc', 'show', id, '--json')).status === 'approved';
        },
        () => 'the secretary never saw the approval',
        { timeout: config.liveTimeout, interval: 500 },
      );
    });

    // Importing a directory in the window: a wrong line is named in French and nothing
    // is imported; the corrected file is imported whole.
    const imported = 'importer un tableau CSV dans l’annuaire : la ligne fautive est nommée, puis tout est importé';
    await check(imported, [joinedAsValidator], async () => {
      await closeDialogs();
      const folder = await mkdtemp(path.join(os.tmpdir(), 'bastide-e2e-import.'));
      try {
        const file = path.join(folder, 'annuaire des élus.csv');
        const rows = ['Prénom;Nom;Organisme;Fonction', 'Jean;Vidal;Mairie de Cajarc;Maire', ';;Mairie de Larnagol;Adjoint'];
        await writeFile(file, rows.join('\r\n') + '\r\n', 'utf8');
        await byTestId('view-directory').click();
        await shown(byTestId('card-import-open'), 'no « Importer… » in the directory');
        await byTestId('card-import-open').click();
        await fillField('import-path', file);
        await byTestId('import-check').click();
        let problems = [];
        await waitFor(async () => {
          problems = await browser.execute(() =>
            [...document.querySelectorAll('[data-testid="import-problem"]')].map((p) => (p.textContent ?? '').trim()),
          );
          return problems.length > 0;
        }, 'no import-problem listed for the line without a name');
        expect(
          problems.length === 1 && problems[0] === 'Ligne 3 : le nom manque.',
          `the problems listed are ${JSON.stringify(problems)}`,
        );
        expect(!(await byTestId('import-submit').isEnabled()), '« Importer » is offered for a file with a wrong line');
        rows[2] = 'Marie;Bos;Mairie de Larnagol;Adjointe';
        await writeFile(file, rows.join('\r\n') + '\r\n', 'utf8');
        await byTestId('import-check').click();
        await waitFor(
          async () => (await byTestId('import-submit').isEnabled()) && (await textOf(byTestId('import-submit'))).includes('2 fiches'),
          'the corrected file is not offered for import',
        );
        await byTestId('import-submit').click();
        await shown(byTestId('import-dialog'), 'the import dialog did not close after importing', { gone: true });
        await shown(byTestId('import-done'), 'no « fiches importées » after importing');
        const done = (await textOf(byTestId('import-done'))).replace(/\s+/g, ' ');
        expect(done.includes('2 fiches importées'), `import-done reads "${done}"`);
        await waitFor(
          () =>
            browser.execute(() =>
              ['Jean Vidal', 'Marie Bos'].every((name) =>
                [...document.querySelectorAll('[data-testid="card-item"] .name')].some((n) => n.textContent?.trim() === name),
              ),
            ),
          'the imported cards are not in the directory',
        );
        const shot = path.join(config.artifacts, 'directory-import.png');
        await browser.saveScreenshot(shot);
        console.log(`    capture : ${shot}`);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    // A reader (an élu consulted on a project) comments in the window; the secretary
    // reads it; nothing else is offered to change.
    const readerComments = `lecteur de « ${CONSULTATION_SPACE} », commenter le projet : la secrétaire lit le commentaire`;
    await check(readerComments, [joinedAsValidator], async () => {
      await closeDialogs();
      await cliAs(secretaryProfile, 'space', 'create', CONSULTATION_SPACE, '--relay', config.relay, '--name', SECRETARY_NAME);
      const spaces = JSON.parse(await cliAs(secretaryProfile, 'space', 'list', '--json'));
      const consultation = spaces.find((s) => s.name === CONSULTATION_SPACE)?.id ?? '';
      expect(consultation !== '', `the secretary's spaces are ${JSON.stringify(spaces)}`);
      const folder = await mkdtemp(path.join(os.tmpdir(), 'bastide-e2e-consultation.'));
      let id = '';
      try {
        const file = path.join(folder, `${CONSULTATION_DOC_TITLE}.txt`);
        await writeFile(file, 'Zonage des hameaux et des zones d’activité.\n', 'utf8');
        id = await cliAs(secretaryProfile, '--space', consultation, 'doc', 'add', file, '--folder', 'Urbanisme');
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
      const code = await cliAs(secretaryProfile, 'space', 'invite', consultation, '--role', 'reader');
      expect(code.startsWith(INVITE_PREFIX), `space invite printed "${code}"`);
      await cliAs(secretaryProfile, 'sync');
      await joinInWindow(code, CONSULTATION_SPACE);
      await byTestId('view-documents').click();
      const item = `[data-testid="doc-item"][data-doc-id="${id}"]`;
      await waitFor(
        () => browser.execute((sel) => document.querySelector(sel) !== null, item),
        'the project never showed in the reader\'s documents',
        { timeout: config.liveTimeout },
      );
      expect(!(await byTestId('doc-add-open').isDisplayed()), 'a reader is offered « Ajouter un document »');
      await browser.execute((sel) => document.querySelector(sel)?.click(), item);
      await shown(byTestId('doc-comment-text'), 'no comment box for a reader');
      expect(await byTestId('doc-open').isDisplayed(), 'no « Ouvrir » for a text file another member added');
      expect(!(await byTestId('doc-version-new').isDisplayed()), 'a reader is offered « Nouvelle version… »');
      await fillField('doc-comment-text', READER_COMMENT);
      await byTestId('doc-comment-send').click();
      await waitFor(
        () =>
          browser.execute(
            (wanted) =>
              [...document.querySelectorAll('[data-testid="doc-comment"]')].some((c) =>
                (c.textContent ?? '').includes(wanted),
              ),
            READER_COMMENT,
          ),
        'the comment never showed in the window',
      );
      const shot = path.join(config.artifacts, 'reader-comment.png');
      await browser.saveScreenshot(shot);
      console.log(`    capture : ${shot}`);
      await closeDialogs();
      await eventually(
        async () => {
          await cliAs(secretaryProfile, 'sync');
          const comments = JSON.parse(await cliAs(secretaryProfile, '--space', consultation, 'doc', 'comments', id, '--json'));
          return comments.some((c) => c.body === READER_COMMENT && c.author === MY_NAME);
        },
        () => 'the secretary never read the reader\'s comment',
        { timeout: config.liveTimeout, interval: 500 },
      );
    });
  } finally {
    if (browser) await browser.deleteSession().catch(() => {});
    if (secretaryProfile) {
      if (config.keepProfile) console.error(`run.mjs: secretary's profile kept in ${secretaryProfile}`);
      else await rm(secretaryProfile, { recursive: true, force: true }).catch(() => {});
    }
    if (cliProfile) {
      if (config.keepProfile) console.error(`run.mjs: second member's profile kept in ${cliProfile}`);
      else await rm(cliProfile, { recursive: true, force: true }).catch(() => {});
    }
    if (validatorProfile) {
      if (config.keepProfile) console.error(`run.mjs: validator's profile kept in ${validatorProfile}`);
      else await rm(validatorProfile, { recursive: true, force: true }).catch(() => {});
    }
    if (docFolder) await rm(docFolder, { recursive: true, force: true }).catch(() => {});
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
async function waitFor(condition, what, { timeout = config.timeout } = {}) {
  try {
    await browser.waitUntil(condition, { timeout, interval: 200 });
  } catch {
    throw new Error(`${what} (waited ${timeout} ms; ${await errorText()})`);
  }
}

/**
 * Calls `attempt` until it returns true or the deadline passes, for conditions
 * outside the window (the second member, the notification log). An attempt that
 * throws counts as "not yet"; the failure reports the last error or `describe()`.
 */
async function eventually(attempt, describe, { timeout = config.timeout, interval = 250 } = {}) {
  const deadline = Date.now() + timeout;
  let lastError = null;
  for (;;) {
    try {
      if (await attempt()) return;
      lastError = null;
    } catch (error) {
      lastError = error instanceof Error ? error.message.split('\n')[0] : String(error);
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, Math.max(0, deadline - Date.now()))));
  }
  throw new Error(`${lastError ?? describe()} (waited ${timeout} ms)`);
}

/**
 * Runs the second member's client on its own profile and returns its trimmed
 * output; a non-zero exit throws with the client's message.
 */
function cli(...args) {
  return cliAs(cliProfile, ...args);
}

/** Runs the client on the profile `profile` (the second member's, or the validator's). */
function cliAs(profile, ...args) {
  const childEnv = { ...process.env };
  // The window's profile must not leak in: --profile is explicit, the rest unset.
  delete childEnv.BASTIDE_PROFILE;
  delete childEnv.BASTIDE_SPACE;
  return new Promise((resolve, reject) => {
    execFile(
      config.cli,
      ['--profile', profile, ...args],
      { env: childEnv, timeout: 30000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const why = stderr.trim().split('\n').pop() || error.message.split('\n')[0];
          reject(new Error(`bastide ${args[0]} ${args[1] ?? ''}: ${why}`.replace(/ +:/, ':')));
        } else {
          resolve(stdout.trim());
        }
      },
    );
  });
}

/** The notifications notify-server.py has logged so far. */
async function notifications() {
  expect(config.notifyLog !== '', 'set E2E_NOTIFY_LOG to the notification server\'s log (run.sh does)');
  const text = await readFile(config.notifyLog, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** Waits for a notification whose body contains `text`, and returns it. */
async function notification(text) {
  let found = null;
  let seen = [];
  await eventually(
    async () => {
      seen = await notifications();
      found = seen.find((n) => normalise(n.body).includes(text)) ?? null;
      return found !== null;
    },
    () =>
      seen.length === 0
        ? `no notification at all in ${config.notifyLog}`
        : `no notification contains "${text}"; bodies: ${seen.map((n) => JSON.stringify(n.body)).join(', ')}`,
    { timeout: config.liveTimeout },
  );
  return found;
}

/** Spaces as people type them: no-break and narrow no-break spaces become spaces. */
function normalise(text) {
  return String(text ?? '').replace(/[\u00a0\u202f]/g, ' ');
}

/** The text of the first event row whose title is exactly `title`, or ''. */
async function rowText(title) {
  for (const row of await browser.$$('[data-testid="event-row"]')) {
    const shown = (await textOf(row.$('.title'))).trim();
    if (shown === title) return textOf(row);
  }
  return '';
}

/** Clicks the event row whose title is exactly `title`. */
async function openRow(title) {
  for (const row of await browser.$$('[data-testid="event-row"]')) {
    if ((await textOf(row.$('.title'))).trim() === title) {
      await row.click();
      return;
    }
  }
  throw new Error(`no event-row titled "${title}"`);
}

/** The page's width in CSS pixels. */
function innerWidth() {
  return browser.execute(() => window.innerWidth);
}

/**
 * What is wrong with the agenda header's layout: a button cut off or out of the
 * window, or a horizontal scrollbar in the main area. Empty when it fits.
 */
function headerProblems() {
  return browser.execute(() => {
    const problems = [];
    const width = document.documentElement.clientWidth;
    const main = document.querySelector('main');
    for (const id of ['invite-open', 'event-add-open']) {
      const node = document.querySelector(`[data-testid="${id}"]`);
      if (!node) {
        problems.push(`no ${id}`);
        continue;
      }
      const box = node.getBoundingClientRect();
      const limit = Math.min(width, main ? main.getBoundingClientRect().right : width);
      if (box.right > limit + 0.5) problems.push(`${id} ends at ${Math.round(box.right)} px, past ${Math.round(limit)} px`);
      if (node.scrollWidth > node.clientWidth + 1) problems.push(`${id}'s label is cut`);
    }
    if (main && main.scrollWidth > main.clientWidth + 1) {
      problems.push(`the main area scrolls sideways (${main.scrollWidth} px in ${main.clientWidth} px)`);
    }
    if (document.documentElement.scrollWidth > width + 1) {
      problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px in ${width} px)`);
    }
    return problems;
  });
}

/** A local `YYYY-MM-DDTHH:MM` as RFC 3339 with this machine's offset, as the CLI wants. */
function rfc3339(local) {
  const d = new Date(local);
  const pad = (n) => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return `${local}:00${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
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

/** Joins a space with an invitation code in the window, as MY_NAME; waits until it is shown. */
async function joinInWindow(code, space) {
  await byTestId('join-space-open').click();
  await shown(byTestId('join-code'), 'the « Rejoindre un espace » form did not open');
  await fillField('join-code', code);
  await fillField('join-name', MY_NAME);
  await byTestId('join-space-submit').click();
  await shown(byTestId('join-space-dialog'), 'the join form did not close', { gone: true });
  await waitFor(
    async () => (await textOf(byTestId('space-title'))).trim() === space,
    `the joined space « ${space} » is not the one shown`,
  );
}

/** Closes whatever dialog is open. */
async function closeDialogs() {
  for (const dialog of ['event-dialog', 'invite-dialog', 'doc-dialog', 'booking-dialog', 'resource-dialog', 'notifications-dialog', 'import-dialog']) {
    if (await byTestId(dialog).isDisplayed()) await byTestId('modal-close').click();
  }
}

/** The booking blocks of the day view: their text and status. */
async function bookingBlocks() {
  return browser.execute(() =>
    [...document.querySelectorAll('[data-testid="booking-block"]')].map((b) => ({
      text: (b.textContent ?? '').replace(/\s+/g, ' ').trim(),
      status: b.getAttribute('data-status'),
    })),
  );
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
