// End-to-end test of the page against a real subscriberd binary.
//
// Starts `$SUBSCRIBERD_BIN --listen 127.0.0.1:0 --store sqlite:<tmp>/subscribers.db
// --web-root <web/dist>`, drives the system Chromium through playwright-core
// (no browser download), and saves screenshots to $SCREENSHOT_DIR
// (default ../build/screenshots).
//
//   npm run build && SUBSCRIBERD_BIN=../build/subscriberd npm run test:e2e
//
// Environment: SUBSCRIBERD_BIN, CHROMIUM (default /usr/bin/chromium),
// SCREENSHOT_DIR.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const webDir = fileURLToPath(new URL('../..', import.meta.url))
const distDir = join(webDir, 'dist')
const serverBin = resolve(webDir, process.env.SUBSCRIBERD_BIN || '../build/subscriberd')
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium'
const screenshotDir = resolve(webDir, process.env.SCREENSHOT_DIR || '../build/screenshots')

const SEED = 60
const UNCONFIRMED_EVERY = 3 // every third seeded subscriber is 'unconfirmed'

let tmp
let server
let serverLog = ''
let baseUrl
let browser
let context
let page
const pageErrors = []

// ---------------------------------------------------------------- helpers

function startServer() {
  return new Promise((resolvePromise, reject) => {
    const args = [
      '--listen', '127.0.0.1:0',
      '--store', `sqlite:${join(tmp, 'subscribers.db')}`,
      '--web-root', distDir,
    ]
    server = spawn(serverBin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const timer = setTimeout(() => reject(new Error(`server did not report "listening on" within 30 s:\n${serverLog}`)), 30_000)
    const onData = (chunk) => {
      serverLog += chunk.toString()
      const m = /listening on (http:\/\/\S+)/.exec(serverLog)
      if (m && !baseUrl) {
        baseUrl = m[1].replace(/\/+$/, '')
        clearTimeout(timer)
        resolvePromise()
      }
    }
    server.stderr.on('data', onData)
    server.stdout.on('data', onData)
    server.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    server.on('exit', (code, signal) => {
      if (!baseUrl) {
        clearTimeout(timer)
        reject(new Error(`server exited early (code ${code}, signal ${signal}):\n${serverLog}`))
      }
    })
  })
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise((r) => server.once('exit', r))
  server.kill('SIGTERM')
  const timeout = new Promise((r) => setTimeout(() => r('timeout'), 10_000))
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    server.kill('SIGKILL')
    await exited
  }
}

async function api(path, init) {
  return fetch(baseUrl + path, init)
}

async function postSubscriber(body) {
  const res = await api('/api/subscribers', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: await res.json() }
}

/** Waits until the locator's text matches `re`; returns the text. */
async function waitForText(locator, re, timeout = 10_000) {
  const end = Date.now() + timeout
  let last = ''
  for (;;) {
    last = (await locator.textContent({ timeout }).catch(() => '')) ?? ''
    if (re.test(last)) return last
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}; last text: ${JSON.stringify(last)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Waits for a loaded list page ("Page X of Y"). */
async function waitForPageInfo(re) {
  return waitForText(page.getByTestId('page-info'), new RegExp(`^(?!\\s*Loading)[\\s\\S]*${re.source}`))
}

async function emailsOnPage() {
  return page.locator('table.subscribers tbody td[data-label="Email"]').allTextContents().then((l) => l.map((s) => s.trim()))
}

async function shot(name) {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true })
}

function seededEmail(i) {
  return `seed-${String(i).padStart(2, '0')}@paging.example.com`
}

// ------------------------------------------------------------ setup

before(async () => {
  assert.ok(existsSync(join(distDir, 'index.html')), `no ${distDir}/index.html: run "npm run build" first`)
  assert.ok(existsSync(serverBin), `no server binary at ${serverBin} (set SUBSCRIBERD_BIN)`)
  assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath} (set CHROMIUM or apt-get install chromium)`)
  await mkdir(screenshotDir, { recursive: true })
  tmp = await mkdtemp(join(tmpdir(), 'subscriberd-e2e-'))
  await startServer()

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  page = await context.newPage()
  page.setDefaultTimeout(10_000)
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) {
      pageErrors.push(`console: ${msg.text()}`)
    }
  })
})

after(async () => {
  await browser?.close().catch(() => {})
  await stopServer()
  if (tmp) await rm(tmp, { recursive: true, force: true })
  if (process.env.E2E_SERVER_LOG) console.log(serverLog)
})

// ------------------------------------------------------------ scenarios

test('the server is healthy and serves the page', async () => {
  const health = await api('/healthz')
  assert.equal(health.status, 200)
  assert.deepEqual(await health.json(), { status: 'ok' })

  const res = await page.goto(baseUrl + '/')
  assert.equal(res.status(), 200)
  await page.waitForURL(/\/subscribers$/)
  await page.getByRole('heading', { level: 1, name: 'Subscribers' }).waitFor()
  await waitForText(page.getByTestId('empty'), /No subscribers yet/)
})

test('adds a subscriber; the button is disabled while the request is in flight', async () => {
  await page.goto(baseUrl + '/subscribers/new')
  await page.getByRole('textbox', { name: 'Email', exact: true }).fill('  Ada.Lovelace@Example.com ')
  await page.getByLabel('Name', { exact: true }).fill('Ada')
  await page.getByLabel('Last name').fill("O'Brien-Lovelace")
  await page.getByLabel('Status').selectOption('unconfirmed')

  // Hold the request for a moment so the in-flight state can be observed.
  let posts = 0
  let release
  const held = new Promise((r) => (release = r))
  await page.route('**/api/subscribers', async (route) => {
    if (route.request().method() === 'POST') {
      posts += 1
      await held
    }
    await route.continue()
  })
  const button = page.getByRole('button', { name: /Add subscriber|Adding/ })
  await button.click()
  await waitForText(button, /Adding/)
  assert.equal(await button.isDisabled(), true)
  await page.getByRole('textbox', { name: 'Email', exact: true }).press('Enter') // a second submit must not send anything
  release()
  const outcome = page.getByTestId('outcome')
  await waitForText(outcome, /was added/)
  await page.unroute('**/api/subscribers')
  assert.equal(posts, 1, 'exactly one POST')
  assert.match(await outcome.textContent(), /ada\.lovelace@example\.com/)
  assert.equal(await button.isDisabled(), false)
  await shot('form-added')

  await outcome.getByRole('link', { name: 'View subscriber' }).click()
  await page.waitForURL(/\/subscribers\/\d+$/)
  const details = page.getByTestId('subscriber')
  await waitForText(details.locator('[data-field="email"]'), /^ada\.lovelace@example\.com$/)
  assert.equal((await details.locator('[data-field="name"]').textContent()).trim(), 'Ada')
  assert.equal((await details.locator('[data-field="last_name"]').textContent()).trim(), "O'Brien-Lovelace")
  assert.equal((await details.locator('[data-field="status"]').textContent()).trim(), 'unconfirmed')
  assert.match(await details.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
})

test('a duplicate shows "already subscribed" with a link to the existing subscriber', async () => {
  const existing = await api('/api/subscribers/ada.lovelace%40example.com').then((r) => r.json())
  await page.goto(baseUrl + '/subscribers/new')
  await page.getByRole('textbox', { name: 'Email', exact: true }).fill('ADA.LOVELACE@example.com')
  await page.getByRole('button', { name: 'Add subscriber' }).click()
  const outcome = page.getByTestId('outcome')
  await waitForText(outcome, /already subscribed/)
  await shot('form-duplicate')
  await outcome.getByRole('link', { name: /existing subscriber/ }).click()
  await page.waitForURL(new RegExp(`/subscribers/${existing.id}$`))
  await waitForText(page.getByTestId('subscriber').locator('[data-field="email"]'), /^ada\.lovelace@example\.com$/)
})

test('client-side checks show messages next to the fields and send nothing', async () => {
  await page.goto(baseUrl + '/subscribers/new')
  let posts = 0
  const count = (req) => {
    if (req.method() === 'POST' && req.url().endsWith('/api/subscribers')) posts += 1
  }
  page.on('request', count)
  await page.getByRole('textbox', { name: 'Email', exact: true }).fill('not-an-email')
  await page.getByLabel('Last name').fill('x'.repeat(300))
  await page.getByRole('button', { name: 'Add subscriber' }).click()
  await waitForText(page.locator('#email-error'), /exactly one '@'/)
  await waitForText(page.locator('#last_name-error'), /at most 255/)
  assert.equal(await page.getByRole('textbox', { name: 'Email', exact: true }).getAttribute('aria-invalid'), 'true')
  assert.equal(await page.getByRole('textbox', { name: 'Email', exact: true }).getAttribute('aria-describedby'), 'email-error')
  // Focus moves to the first invalid field.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'email')
  await shot('form-client-errors')
  page.off('request', count)
  assert.equal(posts, 0, 'no request is sent while client checks fail')
})

test("the server's 422 field errors are shown next to their fields", async () => {
  // The page's own checks would stop a 300-character name before sending, so
  // the request body is rewritten on its way out (as an out-of-date client
  // might send it). The 422 and its messages really come from the server.
  const longName = 'n'.repeat(300)
  const direct = await postSubscriber({ email: 'direct-422@example.com', name: longName })
  assert.equal(direct.status, 422, 'the server itself rejects a 300-character name')
  assert.equal(direct.body.type, '/problems/validation-error')
  const serverMessage = direct.body.errors.find((e) => e.field === 'name')?.message
  assert.ok(serverMessage, `server names the field "name": ${JSON.stringify(direct.body)}`)

  await page.goto(baseUrl + '/subscribers/new')
  await page.route('**/api/subscribers', async (route) => {
    const req = route.request()
    if (req.method() !== 'POST') return route.continue()
    const body = { ...JSON.parse(req.postData() ?? '{}'), name: longName }
    await route.continue({ postData: JSON.stringify(body) })
  })
  await page.getByRole('textbox', { name: 'Email', exact: true }).fill('server-422@example.com')
  await page.getByLabel('Name', { exact: true }).fill('Short')
  await page.getByRole('button', { name: 'Add subscriber' }).click()
  const fieldError = page.locator('#name-error')
  await waitForText(fieldError, /\S/)
  await page.unroute('**/api/subscribers')
  assert.equal((await fieldError.textContent()).trim(), serverMessage)
  await waitForText(page.getByTestId('outcome'), /did not accept/)
  await shot('form-server-422')
  const lookup = await api('/api/subscribers/server-422%40example.com')
  assert.equal(lookup.status, 404, 'nothing was stored')
})

test('looks up a subscriber by email and by id; unknown keys show "not found"', async () => {
  const ada = await api('/api/subscribers/ada.lovelace%40example.com').then((r) => r.json())
  await page.goto(baseUrl + '/subscribers')
  const box = page.getByLabel('Look up by email or id')

  // By email, with the keyboard only: focus the box, type, press Enter.
  await box.focus()
  await page.keyboard.type('Ada.Lovelace@EXAMPLE.com')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/subscribers\/Ada\.Lovelace(@|%40)EXAMPLE\.com$/)
  await waitForText(page.getByTestId('subscriber').locator('[data-field="id"]'), new RegExp(`^${ada.id}$`))

  // By id.
  await box.fill(ada.id)
  await page.getByRole('button', { name: 'Look up' }).click()
  await page.waitForURL(new RegExp(`/subscribers/${ada.id}$`))
  await waitForText(page.getByTestId('subscriber').locator('[data-field="email"]'), /^ada\.lovelace@example\.com$/)
  await shot('detail')

  // A detail URL works when opened directly (reload).
  await page.reload()
  await waitForText(page.getByTestId('subscriber').locator('[data-field="email"]'), /^ada\.lovelace@example\.com$/)

  // Unknown email and unknown id.
  await box.fill('nobody@example.com')
  await box.press('Enter')
  await waitForText(page.getByTestId('not-found'), /Not found.*nobody@example\.com/)
  await shot('detail-not-found')
  await page.goto(baseUrl + '/subscribers/999999999999')
  await waitForText(page.getByTestId('not-found'), /Not found/)

  // Something that is neither an email nor an id is refused by the box.
  await box.fill('nobody')
  await box.press('Enter')
  await waitForText(page.locator('#lookup-error'), /email address .* or a numeric id/)
})

test('pages forward and back through 60 seeded subscribers; reload keeps the page', async () => {
  for (let i = 0; i < SEED; i += 1) {
    const r = await postSubscriber({
      email: seededEmail(i),
      name: `Seed ${i}`,
      last_name: 'Paging',
      status: i % UNCONFIRMED_EVERY === 0 ? 'unconfirmed' : 'active',
    })
    assert.ok(r.status === 201 || r.status === 202, `seed ${i}: ${r.status} ${JSON.stringify(r.body)}`)
  }
  const total = SEED + 1 // plus Ada
  const pages = Math.ceil(total / 10)

  await page.goto(baseUrl + '/subscribers')
  await page.getByLabel('Per page').selectOption('10')
  await page.waitForURL(/limit=10/)
  await waitForPageInfo(new RegExp(`Page 1 of ${pages}\\b`))
  assert.match(await page.getByTestId('page-info').textContent(), new RegExp(`${total} subscribers`))
  // Newest first.
  assert.deepEqual((await emailsOnPage()).slice(0, 3), [seededEmail(59), seededEmail(58), seededEmail(57)])
  assert.equal(await page.getByRole('button', { name: 'Previous' }).isDisabled(), true)
  assert.equal(await page.getByRole('button', { name: 'First' }).isDisabled(), true)
  await shot('list')

  const seen = [...(await emailsOnPage())]
  for (let p = 2; p <= 4; p += 1) {
    await page.getByRole('button', { name: 'Next' }).click()
    await waitForPageInfo(new RegExp(`Page ${p} of ${pages}\\b`))
    const emails = await emailsOnPage()
    assert.equal(emails.length, 10)
    assert.equal(emails[0], seededEmail(SEED - 1 - (p - 1) * 10), `first row of page ${p}`)
    seen.push(...emails)
  }
  assert.equal(new Set(seen).size, 40, 'no subscriber shown twice')
  assert.match(page.url(), /[?&]page=4\b/)
  assert.match(page.url(), /[?&]cursor=/)

  // Back one page.
  await page.getByRole('button', { name: 'Previous' }).click()
  await waitForPageInfo(new RegExp(`Page 3 of ${pages}\\b`))
  const page3 = await emailsOnPage()
  assert.equal(page3[0], seededEmail(SEED - 1 - 20))

  // Reload keeps the page.
  await page.reload()
  await waitForPageInfo(new RegExp(`Page 3 of ${pages}\\b`))
  assert.deepEqual(await emailsOnPage(), page3)
  assert.equal(await page.getByLabel('Per page').inputValue(), '10')

  // Browser history works too.
  await page.goBack()
  await waitForPageInfo(new RegExp(`Page 4 of ${pages}\\b`))

  // To the last page: Next is disabled there and the row count fits.
  for (let p = 5; p <= pages; p += 1) {
    await page.getByRole('button', { name: 'Next' }).click()
    await waitForPageInfo(new RegExp(`Page ${p} of ${pages}\\b`))
  }
  assert.equal((await emailsOnPage()).length, total - (pages - 1) * 10)
  assert.equal(await page.getByRole('button', { name: 'Next' }).isDisabled(), true)
  assert.ok((await emailsOnPage()).includes('ada.lovelace@example.com'), 'the oldest is on the last page')

  // Back to the start.
  await page.getByRole('button', { name: 'First' }).click()
  await waitForPageInfo(new RegExp(`Page 1 of ${pages}\\b`))
  assert.doesNotMatch(page.url(), /cursor=/)
  assert.equal((await emailsOnPage())[0], seededEmail(59))
})

test('filters by status; the filter is kept in the URL', async () => {
  const unconfirmed = Math.ceil(SEED / UNCONFIRMED_EVERY) + 1 // plus Ada
  await page.goto(baseUrl + '/subscribers?limit=10')
  await waitForPageInfo(/Page 1 of/)
  await page.getByLabel('Status').selectOption('unconfirmed')
  await page.waitForURL(/status=unconfirmed/)
  await waitForPageInfo(new RegExp(`Page 1 of ${Math.ceil(unconfirmed / 10)}\\b[\\s\\S]*${unconfirmed} subscribers with status unconfirmed`))
  const badges = await page.locator('table.subscribers .badge').allTextContents()
  assert.equal(badges.length, 10)
  assert.ok(badges.every((b) => b.trim() === 'unconfirmed'), badges.join(','))

  await page.getByRole('button', { name: 'Next' }).click()
  await waitForPageInfo(new RegExp(`Page 2 of ${Math.ceil(unconfirmed / 10)}\\b`))
  await page.reload()
  await waitForPageInfo(new RegExp(`Page 2 of ${Math.ceil(unconfirmed / 10)}\\b`))
  assert.equal(await page.getByLabel('Status').inputValue(), 'unconfirmed')
  await shot('list-filtered')

  // A status nobody has: the empty state.
  await page.getByLabel('Status').selectOption('junk')
  await waitForText(page.getByTestId('empty'), /No subscribers with status “junk”/)

  // A larger page size resets to page 1 and keeps the filter.
  await page.getByLabel('Status').selectOption('unconfirmed')
  await page.getByLabel('Per page').selectOption('25')
  await page.waitForURL(/limit=25/)
  await waitForPageInfo(new RegExp(`Page 1 of ${Math.ceil(unconfirmed / 25)}\\b`))
  assert.match(page.url(), /status=unconfirmed/)
})

test('a malformed cursor in the URL shows an error, not a blank page', async () => {
  await page.goto(baseUrl + '/subscribers?limit=10&cursor=%21%21not-a-cursor%21%21&page=2')
  const error = page.getByTestId('list-error')
  await waitForText(error, /Could not load subscribers/)
  await error.getByRole('button', { name: 'Go to the first page' }).click()
  await waitForPageInfo(/Page 1 of/)
})

test('works at phone width', async () => {
  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto(baseUrl + '/subscribers?limit=10')
  await waitForPageInfo(/Page 1 of/)
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.ok(overflow <= 0, `no horizontal scrolling at 390px (overflow ${overflow}px)`)
  await shot('list-phone')
  await page.goto(baseUrl + '/subscribers/new')
  await page.getByRole('textbox', { name: 'Email', exact: true }).waitFor()
  await shot('form-phone')
  await page.setViewportSize({ width: 1280, height: 900 })
})

test('no CSP violations or script errors happened', () => {
  assert.deepEqual(pageErrors, [])
})
