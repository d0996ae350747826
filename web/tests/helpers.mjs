// What the browser tests share: the server and login from the environment, Chromium
// launched once per test file, a fresh context per test (with a screenshot on failure),
// logging in, and reading and writing the API with the page's session.

import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const BASE_URL = (process.env.SHOPCRM_URL ?? '').replace(/\/+$/, '')
export const ADMIN_USER = process.env.SHOPCRM_ADMIN_USER ?? ''
export const ADMIN_PASSWORD = process.env.SHOPCRM_ADMIN_PASSWORD ?? ''
const CHROMIUM = process.env.SHOPCRM_CHROMIUM ?? '/usr/bin/chromium'
export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results')

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

export const sel = (name) => `[data-test="${name}"]`

/**
 * Runs `fn` with a page in a fresh context; on failure saves a screenshot to
 * test-results/failure-<name>.png before rethrowing.
 */
export async function withPage(name, fn, contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN', ...contextOptions })
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

export async function waitForPath(page, pathname) {
  await page.waitForURL((url) => url.pathname === pathname)
}

export async function logIn(page) {
  await page.goto(`${BASE_URL}/login`)
  await page.locator(sel('login-username')).fill(ADMIN_USER)
  await page.locator(sel('login-password')).fill(ADMIN_PASSWORD)
  await page.locator(sel('login-submit')).click()
  await waitForPath(page, '/')
  await page.locator(sel('home')).waitFor()
}

/** GET of an API path with the page's session; fails the test unless it answers 200. */
export async function apiGet(page, apiPath) {
  const res = await page.request.get(`${BASE_URL}${apiPath}`)
  assert.equal(res.status(), 200, `GET ${apiPath} answered ${res.status()}: ${await res.text()}`)
  return res.json()
}

/**
 * Demo users with a name, orders and events, found through the API (the console must show
 * what the server has): returns up to `count` of them as {item, detail}.
 */
export async function findDemoUsers(page, count) {
  const found = []
  let cursor = null
  for (let pageNo = 0; pageNo < 5 && found.length < count; pageNo++) {
    const list = await apiGet(page, `/api/v1/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    for (const item of list.items) {
      if (found.length >= count) break
      if (!item.name || item.is_bare || item.erased) continue
      const detail = await apiGet(page, `/api/v1/users/${item.id}`)
      if (detail.summary.order_count > 0 && detail.summary.event_count > 0) found.push({ item, detail })
    }
    cursor = list.next_cursor
    if (!cursor) break
  }
  assert.ok(found.length >= count, `the demo data has ${count} user(s) with a name, orders and events`)
  return found
}

export const textsOf = (page, name) => page.locator(sel(name)).allInnerTexts().then((texts) => texts.map((x) => x.trim()))

/** Launches Chromium before the file's tests and closes it after them; call once at the top of a test file. */
export function useBrowser() {
  before(async () => {
    assert.ok(BASE_URL, 'SHOPCRM_URL must be set (e.g. http://127.0.0.1:18080)')
    assert.ok(ADMIN_USER && ADMIN_PASSWORD, 'SHOPCRM_ADMIN_USER and SHOPCRM_ADMIN_PASSWORD must be set')
    fs.mkdirSync(RESULTS_DIR, { recursive: true })
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  })

  after(async () => {
    await browser?.close()
  })
}

/** Opens a user's 360 page directly and waits for its profile. */
export async function openUser(page, id) {
  await page.goto(`${BASE_URL}/users/${id}`)
  await page.locator(sel('user-profile')).waitFor()
}

/** POST of JSON to an API path with the page's session (and its CSRF token); returns {status, body}. */
export async function apiPost(page, apiPath, data) {
  const { csrf_token: csrf } = await apiGet(page, '/api/v1/auth/me')
  const res = await page.request.post(`${BASE_URL}${apiPath}`, { data, headers: { 'X-CSRF-Token': csrf } })
  return { status: res.status(), body: await res.json() }
}
