// End-to-end test of the console against a running shopcrm server that serves web/dist.
//
//   SHOPCRM_URL=http://127.0.0.1:18080 SHOPCRM_ADMIN_USER=admin \
//   SHOPCRM_ADMIN_PASSWORD=... npm run test:e2e
//
// Drives the machine's Chromium (SHOPCRM_CHROMIUM, default /usr/bin/chromium) headless
// through playwright-core. Each test gets a fresh browser context (no cookies, empty
// localStorage); Playwright itself gives the browser a new temporary profile directory.
// Selectors are the `data-test` attributes of the console, listed in web/README.md.

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const BASE_URL = (process.env.SHOPCRM_URL ?? '').replace(/\/+$/, '')
const ADMIN_USER = process.env.SHOPCRM_ADMIN_USER ?? ''
const ADMIN_PASSWORD = process.env.SHOPCRM_ADMIN_PASSWORD ?? ''
const CHROMIUM = process.env.SHOPCRM_CHROMIUM ?? '/usr/bin/chromium'
const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results')

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const TIMEOUT_MS = 15_000

/** @type {import('playwright-core').Browser} */
let browser

const sel = (name) => `[data-test="${name}"]`

before(async () => {
  assert.ok(BASE_URL, 'SHOPCRM_URL must be set (e.g. http://127.0.0.1:18080)')
  assert.ok(ADMIN_USER && ADMIN_PASSWORD, 'SHOPCRM_ADMIN_USER and SHOPCRM_ADMIN_PASSWORD must be set')
  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
})

after(async () => {
  await browser?.close()
})

/**
 * Runs `fn` with a page in a fresh context; on failure saves a screenshot to
 * test-results/failure-<name>.png before rethrowing.
 */
async function withPage(name, fn) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN' })
  context.setDefaultTimeout(TIMEOUT_MS)
  const page = await context.newPage()
  const pageErrors = []
  page.on('pageerror', (err) => pageErrors.push(err))
  try {
    await fn(page)
    assert.deepEqual(pageErrors.map(String), [], 'uncaught errors in the page')
  } catch (err) {
    await page.screenshot({ path: path.join(RESULTS_DIR, `failure-${name}.png`), fullPage: true }).catch(() => {})
    throw err
  } finally {
    await context.close()
  }
}

async function waitForPath(page, pathname) {
  await page.waitForURL((url) => url.pathname === pathname)
}

async function logIn(page) {
  await page.goto(`${BASE_URL}/login`)
  await page.locator(sel('login-username')).fill(ADMIN_USER)
  await page.locator(sel('login-password')).fill(ADMIN_PASSWORD)
  await page.locator(sel('login-submit')).click()
  await waitForPath(page, '/')
  await page.locator(sel('home')).waitFor()
}

describe('shopcrm console', { concurrency: 1 }, () => {
  test('a wrong password shows the server error and stays on /login', async () => {
    await withPage('wrong-password', async (page) => {
      await page.goto(`${BASE_URL}/login`)
      await page.locator(sel('login-username')).fill(ADMIN_USER)
      await page.locator(sel('login-password')).fill(`${ADMIN_PASSWORD}-wrong`)
      await page.locator(sel('login-submit')).click()

      const error = page.locator(sel('login-error'))
      await error.waitFor({ state: 'visible' })
      assert.notEqual((await error.innerText()).trim(), '', 'the error carries the server detail')
      assert.equal(new URL(page.url()).pathname, '/login')
    })
  })

  test('logs in, shows health and version, and switches language persistently', async () => {
    await withPage('home', async (page) => {
      await logIn(page)

      assert.equal((await page.locator(sel('current-user')).innerText()).trim(), ADMIN_USER)

      const health = page.locator(sel('health-status'))
      await health.waitFor()
      assert.match((await health.getAttribute('data-status')) ?? '', /^(ok|ready)$/)

      const version = page.locator(sel('system-version'))
      await page.waitForFunction((s) => /\d+\.\d+/.test(document.querySelector(s)?.textContent ?? ''), sel('system-version'))
      assert.match(await version.innerText(), /\d+\.\d+/)

      // The chart is drawn once /api/v1/system answered.
      await page.locator(`${sel('request-rate-chart')} canvas`).waitFor()
      await page.waitForTimeout(600) // let the gauge finish its animation for the picture
      await page.screenshot({ path: path.join(RESULTS_DIR, 'home.png'), fullPage: true })

      // zh-CN is the default; English is one click away and survives a reload.
      const usersNav = page.locator(sel('nav-users'))
      assert.equal((await usersNav.innerText()).trim(), '用户')
      await page.locator(sel('lang-en')).click()
      await page.waitForFunction((s) => document.querySelector(s)?.textContent?.trim() === 'Users', sel('nav-users'))
      await page.reload()
      await page.locator(sel('home')).waitFor()
      assert.equal((await page.locator(sel('nav-users')).innerText()).trim(), 'Users')
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'en')
    })
  })

  test('creates an API key, shows its secret once, and revokes it', async () => {
    await withPage('api-keys', async (page) => {
      await logIn(page)
      await page.locator(sel('nav-api-keys')).click()
      await waitForPath(page, '/settings/api-keys')
      await page.locator(sel('api-keys')).waitFor()

      const name = `e2e-${Date.now()}`
      await page.locator(sel('api-key-create')).click()
      await page.locator(sel('api-key-name')).fill(name)
      await page.locator(sel('api-key-submit')).click()

      const secretEl = page.locator(sel('api-key-secret'))
      await secretEl.waitFor({ state: 'visible' })
      const secret = (await secretEl.innerText()).trim()
      assert.match(secret, /^shk_\S{8,}$/)

      await page.locator(sel('api-key-secret-done')).click()
      await secretEl.waitFor({ state: 'hidden' })
      assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page once the dialog closes')

      const row = page.locator('tr', { has: page.locator(sel('api-key-name-cell'), { hasText: name }) })
      await row.waitFor()
      assert.equal(await row.locator(sel('api-key-status')).getAttribute('data-status'), 'active')

      await row.locator(sel('api-key-revoke')).click()
      await page.locator(`${sel('api-key-revoke-confirm')}:visible`).click()
      await page.waitForFunction(
        ({ cell, status, name }) =>
          [...document.querySelectorAll('tr')].some(
            (tr) => tr.querySelector(cell)?.textContent?.trim() === name && tr.querySelector(status)?.getAttribute('data-status') === 'revoked',
          ),
        { cell: sel('api-key-name-cell'), status: sel('api-key-status'), name },
      )
      assert.equal(await row.locator(sel('api-key-revoke')).count(), 0, 'a revoked key cannot be revoked again')
    })
  })

  test('logs out to /login, and / then redirects to /login', async () => {
    await withPage('logout', async (page) => {
      await logIn(page)
      await page.locator(sel('logout')).click()
      await waitForPath(page, '/login')
      await page.locator(sel('login-submit')).waitFor()

      await page.goto(`${BASE_URL}/`)
      await waitForPath(page, '/login')
      await page.locator(sel('login-submit')).waitFor()
    })
  })
})
