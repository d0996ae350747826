// End-to-end test of the console against a running shopcrm server that serves web/dist.
//
//   SHOPCRM_URL=http://127.0.0.1:18080 SHOPCRM_ADMIN_USER=admin \
//   SHOPCRM_ADMIN_PASSWORD=... npm run test:e2e
//
// Drives the machine's Chromium (SHOPCRM_CHROMIUM, default /usr/bin/chromium) headless
// through playwright-core. Each test gets a fresh browser context (no cookies, empty
// localStorage); Playwright itself gives the browser a new temporary profile directory.
// Selectors are the `data-test` attributes of the console, listed in web/README.md.

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import {
  ADMIN_PASSWORD,
  ADMIN_USER,
  BASE_URL,
  RESULTS_DIR,
  apiGet,
  apiPost,
  findDemoUsers,
  logIn,
  openUser,
  sel,
  textsOf,
  useBrowser,
  waitForPath,
  withPage,
} from './helpers.mjs'

useBrowser()

/**
 * Fills the users page's search box and city filter, submits, and waits until the table
 * shows exactly the users the server answered. Returns the server's items.
 */
async function searchUsers(page, { q = '', city = '' } = {}) {
  await page.locator(sel('users-search')).fill(q)
  await page.locator(sel('users-filter-city')).fill(city)
  const answered = page.waitForResponse((r) => {
    const u = new URL(r.url())
    return (
      u.pathname === '/api/v1/users' &&
      r.request().method() === 'GET' &&
      (u.searchParams.get('q') ?? '') === q &&
      (u.searchParams.get('city') ?? '') === city
    )
  })
  await page.locator(sel('users-search-submit')).click()
  const res = await answered
  assert.equal(res.status(), 200)
  const { items } = await res.json()
  await page.waitForFunction(
    ({ cell, ids }) =>
      JSON.stringify([...document.querySelectorAll(cell)].map((e) => e.textContent.trim())) === JSON.stringify(ids),
    { cell: sel('user-row-external-id'), ids: items.map((u) => u.external_id) },
  )
  return items
}

/** The server's count of a filter (text or JSON form); fails the test unless it answers 200. */
async function segmentPreview(page, filter, asOf = undefined) {
  const { status, body } = await apiPost(page, '/api/v1/segments/preview', asOf ? { filter, as_of: asOf } : { filter })
  assert.equal(status, 200, `preview of ${JSON.stringify(filter)} answered ${status}: ${JSON.stringify(body)}`)
  return body
}

/**
 * Waits until the segment builder shows the count of the filter whose canonical text is
 * `text`, and returns what it shows: {count, users, generation, value, percent}.
 */
async function shownSegmentCount(page, text) {
  await page.waitForFunction(
    ({ s, text }) => {
      const e = document.querySelector(s)
      return e?.dataset.state === 'ok' && e.dataset.text === text
    },
    { s: sel('segment-count'), text },
  )
  const count = page.locator(sel('segment-count'))
  const data = await count.evaluate((e) => ({ ...e.dataset }))
  return {
    count: Number(data.count),
    users: Number(data.users),
    generation: Number(data.generation),
    value: (await count.locator(sel('segment-count-value')).innerText()).trim(),
    percent: (await count.locator(sel('segment-count-percent')).innerText()).trim(),
  }
}

/** Checks that the page shows exactly the server's count of `filter` (same index generation). */
async function assertSegmentCount(page, text, filter = text, asOf = undefined) {
  let shown = await shownSegmentCount(page, text)
  let server = await segmentPreview(page, filter, asOf)
  // The index takes in every write as it commits, so it may move on between the page's
  // count and the server's: the page then counts again, at the server's generation or later.
  for (let attempt = 0; shown.generation !== server.generation && attempt < 3; attempt++) {
    const area = page.locator(sel('segment-filter-text'))
    const typed = await area.inputValue()
    await area.fill(`${typed} `)
    await area.fill(typed)
    await page.waitForFunction(
      ({ s, text, g }) => {
        const e = document.querySelector(s)
        return e?.dataset.state === 'ok' && e.dataset.text === text && Number(e.dataset.generation) >= g
      },
      { s: sel('segment-count'), text, g: server.generation },
    )
    shown = await shownSegmentCount(page, text)
    server = await segmentPreview(page, filter, asOf)
  }
  assert.equal(server.text, text, 'the server gives the same canonical text')
  assert.equal(shown.generation, server.generation, 'the index did not change during the test')
  assert.equal(shown.count, server.count, `the count of ${text}`)
  assert.equal(shown.users, server.users)
  assert.equal(shown.value.replace(/\D/g, ''), String(server.count), 'the count is shown as a number')
  const percent = server.users > 0 ? Math.round((server.count / server.users) * 1000) / 10 : 0
  assert.equal(shown.percent, `${percent}%`)
  return shown
}

/** Types a filter into the segment builder's text area. */
async function typeFilter(page, text) {
  await page.locator(sel('segment-filter-text')).fill(text)
  assert.equal(await page.locator(sel('segment-filter-text')).inputValue(), text)
}

/** POST /api/v1/segments/pivot with the page's session; fails the test unless it answers 200. */
async function apiPivot(page, body) {
  const { status, body: answer } = await apiPost(page, '/api/v1/segments/pivot', body)
  assert.equal(status, 200, `pivot ${JSON.stringify(body)} answered ${status}: ${JSON.stringify(answer)}`)
  return answer
}

/** The commonest city among the first 100 demo users. */
async function commonestCity(page) {
  const { items } = await apiGet(page, '/api/v1/users?limit=100')
  const tally = new Map()
  for (const u of items) if (u.city && !u.erased) tally.set(u.city, (tally.get(u.city) ?? 0) + 1)
  return [...tally].sort((a, b) => b[1] - a[1])[0][0]
}

/** Waits for the lifecycle dashboard to show the answer for `filter` ('' = everyone): stage → users. */
async function shownLifecycle(page, filter) {
  await page.waitForFunction(
    ({ s, filter }) => {
      const e = document.querySelector(s)
      return e?.dataset.state === 'ok' && e.dataset.filter === filter
    },
    { s: sel('lifecycle-dashboard'), filter },
  )
  const rows = await page.locator(sel('lifecycle-stage')).evaluateAll((els) => els.map((e) => [e.dataset.stage, Number(e.dataset.users)]))
  return Object.fromEntries(rows)
}

/** Checks that one-dimensional pivot cells ({key: [value], users}) are what the page shows. */
function assertSameCells(shown, cells) {
  for (const c of cells) assert.equal(shown[c.key[0] ?? 'null'], c.users, `users of ${c.key[0]}`)
  for (const [value, users] of Object.entries(shown)) {
    if (!cells.some((c) => (c.key[0] ?? 'null') === value)) assert.equal(users, 0, `${value} is not in the answer`)
  }
}

/** The pivot view's cross-table cells: key JSON → {users, sum}. */
async function shownPivotCells(page) {
  const cells = await page
    .locator(sel('pivot-cell'))
    .evaluateAll((els) => els.map((e) => [e.dataset.key, { users: Number(e.dataset.users), sum: e.dataset.sum === undefined ? undefined : Number(e.dataset.sum) }]))
  return new Map(cells)
}

/** The flows the lifecycle dashboard shows, sorted: [{from ('null' for first seen), to, users}]. */
async function shownFlows(page) {
  const rows = await page
    .locator(sel('lifecycle-flow'))
    .evaluateAll((els) => els.map((e) => ({ from: e.dataset.from, to: e.dataset.to, users: Number(e.dataset.users) })))
  return sortFlows(rows)
}

const sortFlows = (flows) => [...flows].sort((a, b) => `${a.from}>${a.to}`.localeCompare(`${b.from}>${b.to}`))

/** Waits until the element `name` shows an answer (data-state ok) with these data attributes; returns its dataset. */
async function waitForAnswer(page, name, data = {}) {
  await page.waitForFunction(
    ({ s, data }) => {
      const e = document.querySelector(s)
      return e?.dataset.state === 'ok' && Object.entries(data).every(([k, v]) => e.dataset[k] === v)
    },
    { s: sel(name), data },
  )
  return page.locator(sel(name)).evaluate((e) => ({ ...e.dataset }))
}

/** The browser's local midnight starting `day`, in UTC without fractions (as the period pickers send it). */
const browserMidnight = (page, day) =>
  page.evaluate((day) => {
    const [y, m, d] = day.split('-').map(Number)
    return new Date(y, m - 1, d).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }, day)

const AARRR_FIELDS = { acquisition: 'acquired', activation: 'activated', retention: 'retained', referral: 'referring', revenue: 'paying' }

/** Waits for the AARRR tab's answer for `filter` ('' = everyone) and returns what it shows. */
async function shownAarrr(page, filter) {
  const data = await waitForAnswer(page, 'aarrr-funnel', { filter })
  const stages = await page.locator(sel('aarrr-stage')).evaluateAll((els) =>
    els.map((e) => ({
      stage: e.dataset.stage,
      users: Number(e.dataset.users),
      text: e.querySelector('[data-test="aarrr-stage-users"]').textContent.trim(),
      label: e.querySelector('[data-test="aarrr-stage-label"]').textContent.trim(),
      definition: e.querySelector('[data-test="aarrr-stage-definition"]').textContent.trim(),
    })),
  )
  const revenue = page.locator(sel('aarrr-revenue'))
  return {
    from: data.from,
    to: data.to,
    stages,
    revenue: Number(await revenue.getAttribute('data-revenue')),
    revenueText: (await revenue.innerText()).trim(),
  }
}

/** POST /api/v1/analytics/aarrr for the period (and filter) the page shows; checks the page shows the answer. */
async function assertAarrr(page, shown, filter) {
  const body = { from: shown.from, to: shown.to, ...(filter ? { filter } : {}) }
  const { status, body: api } = await apiPost(page, '/api/v1/analytics/aarrr', body)
  assert.equal(status, 200, `aarrr ${JSON.stringify(body)} answered ${status}: ${JSON.stringify(api)}`)
  assert.deepEqual(shown.stages.map((s) => s.stage), Object.keys(AARRR_FIELDS), 'the five stages in order')
  for (const s of shown.stages) {
    assert.equal(s.users, api[AARRR_FIELDS[s.stage]], `${s.stage} (${AARRR_FIELDS[s.stage]})`)
    assert.equal(s.text.replace(/\D/g, ''), String(api[AARRR_FIELDS[s.stage]]), 'shown as a number')
    assert.ok(s.definition.length > 0, `${s.stage} has a definition`)
  }
  assert.equal(shown.revenue, api.revenue, 'revenue in fen')
  assert.equal(shown.revenueText.replace(/[^\d.]/g, ''), (api.revenue / 100).toFixed(2), 'fen shown as yuan')
  return api
}

/** The AIDEES stages in order, with their Chinese labels. */
const AIDEES_LABELS = { attention: '注意', interest: '兴趣', desire: '欲望', experience: '体验', enthusiasm: '热衷', share: '分享' }
const CUSTOMER_LABELS = { new_customer: '新客', repeat_customer: '复购客' }
const MOTIVATION_LABELS = { functional: '功能价值', social: '社会价值', emotional: '情感价值', epistemic: '认知价值', conditional: '情境价值' }

/** The system tag groups in the order the Tags page shows them: [Chinese label, English label, labels of some tags]. */
const SYSTEM_GROUPS = {
  'sys:lifecycle': ['生命周期', 'Lifecycle', { potential: '潜在', rising: '上升', churned: '流失' }],
  'sys:rfm': ['RFM 分群', 'RFM segments', { important_value: '重要价值', general_recall: '一般挽留' }],
  'sys:pareto': ['帕累托分层', 'Pareto tiers', { head: '头部', waist: '腰部', tail: '尾部' }],
  'sys:aidees': ['AIDEES 阶段', 'AIDEES stage', AIDEES_LABELS],
  'sys:customer': ['新老客', 'New / repeat customers', CUSTOMER_LABELS],
  'sys:member': ['会员身份', 'Members', { member: '会员', non_member: '非会员' }],
  'sys:motivation': ['消费价值', 'Consumption values', MOTIVATION_LABELS],
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

  test('the users list finds a demo user by external id, name prefix and city', async () => {
    await withPage('users', async (page) => {
      await logIn(page)
      const [{ item: user }] = await findDemoUsers(page, 1)

      await page.locator(sel('nav-users')).click()
      await waitForPath(page, '/users')
      await page.locator(sel('user-row-external-id')).first().waitFor()
      assert.ok((await textsOf(page, 'user-row-external-id')).length > 1, 'the first page lists demo users')

      // External id: exactly that user, with the name and city the server has.
      const byId = await searchUsers(page, { q: user.external_id })
      assert.deepEqual(byId.map((u) => u.external_id), [user.external_id])
      assert.deepEqual(await textsOf(page, 'user-row-name'), [user.name])
      assert.deepEqual(await textsOf(page, 'user-row-city'), [user.city ?? ''])
      assert.equal(new URL(page.url()).searchParams.get('q'), user.external_id, 'the search is kept in the URL')

      // Name prefix: the surname finds this user's namesakes, and only them.
      const surname = [...user.name][0]
      const byName = await searchUsers(page, { q: surname })
      assert.ok(byName.length >= 1, `someone is called ${surname}…`)
      for (const name of await textsOf(page, 'user-row-name')) assert.ok(name.startsWith(surname), `${name} starts with ${surname}`)

      // City filter on its own.
      if (user.city) {
        const byCity = await searchUsers(page, { city: user.city })
        assert.ok(byCity.length >= 1)
        assert.deepEqual([...new Set(await textsOf(page, 'user-row-city'))], [user.city])
      }

      // A row opens the user's 360 page.
      await searchUsers(page, { q: user.external_id })
      await page.locator(sel('user-row-name')).first().click()
      await waitForPath(page, `/users/${user.id}`)
      await page.locator(sel('user-profile')).waitFor()
      assert.equal((await page.locator(sel('user-external-id')).innerText()).trim(), user.external_id)
    })
  })

  test("a user's 360 page shows profile, summary, orders and events", async () => {
    await withPage('user-360', async (page) => {
      await logIn(page)
      const [{ item, detail }] = await findDemoUsers(page, 1)
      const { user, summary } = detail
      const orders = await apiGet(page, `/api/v1/users/${item.id}/orders?limit=10`)
      const events = await apiGet(page, `/api/v1/users/${item.id}/events?limit=20`)
      assert.ok(orders.items.length > 0 && events.items.length > 0)

      await openUser(page, item.id)

      // Profile
      assert.equal((await page.locator(sel('user-external-id')).innerText()).trim(), user.external_id)
      assert.equal((await page.locator(sel('user-name')).innerText()).trim(), user.name)
      assert.equal((await page.locator(sel('user-phone')).innerText()).trim(), user.phone ?? '')
      assert.equal((await page.locator(sel('user-title')).innerText()).trim(), user.name)
      if (user.city) assert.ok((await page.locator(sel('user-city')).innerText()).includes(user.city))
      if (user.referrer) {
        assert.equal((await page.locator(sel('user-referrer')).innerText()).trim(), user.referrer.external_id)
      }
      for (const key of Object.keys(user.attributes ?? {})) {
        await page.locator(`${sel('user-attribute')}[data-key="${key}"]`).waitFor()
      }
      assert.equal(await page.locator(sel('user-erased-badge')).count(), 0)

      // Summary and the spend chart
      assert.equal((await page.locator(sel('user-summary-order-count')).innerText()).trim(), String(summary.order_count))
      assert.equal((await page.locator(sel('user-summary-event-count')).innerText()).trim(), String(summary.event_count))
      const totalPaid = (await page.locator(sel('user-summary-total-paid')).innerText()).trim()
      assert.match(totalPaid, /\d/)
      assert.ok(totalPaid.replace(/[^\d.]/g, '').includes(Number(summary.total_paid).toFixed(2)), `${totalPaid} shows ${summary.total_paid}`)
      await page.locator(`${sel('user-spend-chart')} canvas`).waitFor()
      if (summary.spend_by_month.length > 0) {
        assert.ok(Number(await page.locator(sel('user-spend-chart')).getAttribute('data-months')) >= summary.spend_by_month.length)
      }

      await page.waitForTimeout(600) // let the bars grow for the picture
      await page.screenshot({ path: path.join(RESULTS_DIR, 'user-360.png'), fullPage: true })

      // Orders: the server's first page, newest first; the first one opens to items and history.
      await page.locator(sel('user-order-source-id')).first().waitFor()
      assert.deepEqual(await textsOf(page, 'user-order-source-id'), orders.items.map((o) => o.source_id))
      const statuses = await page.locator(sel('user-order-status')).evaluateAll((els) => els.map((e) => e.dataset.status))
      assert.deepEqual(statuses, orders.items.map((o) => o.status))
      await page.locator(sel('user-order-source-id')).first().click()
      const orderDetail = page.locator(sel('user-order-detail')).first()
      await orderDetail.waitFor()
      const first = orders.items[0]
      const products = await orderDetail.locator(sel('user-order-item')).allInnerTexts()
      assert.deepEqual(products.map((x) => x.trim()), first.items.map((i) => i.product_name ?? ''))
      const steps = await orderDetail.locator(sel('user-order-history-step')).evaluateAll((els) => els.map((e) => e.dataset.status))
      assert.deepEqual(steps, first.history.map((h) => h.status))

      // Events: the server's first page; filtering by a type shows only that type.
      await page.locator(sel('user-event')).first().waitFor()
      const types = await page.locator(sel('user-event')).evaluateAll((els) => els.map((e) => e.dataset.type))
      assert.deepEqual(types, events.items.map((e) => e.type))
      const type = events.items[events.items.length - 1].type
      const ofType = await apiGet(page, `/api/v1/users/${item.id}/events?type=${type}&limit=20`)
      await page.locator(sel('user-events-type')).click()
      await page.locator(`${sel('user-events-type-option')}[data-type="${type}"]:visible`).click()
      await page.waitForFunction(
        ({ s, type, n }) => {
          const els = [...document.querySelectorAll(s)]
          return els.length === n && els.every((e) => e.dataset.type === type)
        },
        { s: sel('user-event'), type, n: ofType.items.length },
      )

    })
  })

  test('creates a tag, adds it to a user and removes it again', async () => {
    await withPage('user-tags', async (page) => {
      await logIn(page)
      const [{ item }] = await findDemoUsers(page, 1)
      const stamp = Date.now()
      const groupName = `e2e 组 ${stamp}`
      const tagName = `e2e 标签 ${stamp}`

      // A new group and a tag in it, from the Tags page.
      await page.locator(sel('nav-tags')).click()
      await waitForPath(page, '/tags')
      await page.locator(sel('tag-group-create')).click()
      await page.locator(sel('tag-group-name-input')).fill(groupName)
      await page.locator(sel('tag-group-description-input')).fill('browser test')
      await page.locator(sel('tag-group-submit')).click()
      const group = page.locator(`${sel('tag-group')}[data-name="${groupName}"]`)
      await group.waitFor()
      await group.locator(sel('tag-create')).click()
      await page.locator(sel('tag-name-input')).fill(tagName)
      await page.locator(sel('tag-submit')).click()
      const tagCell = group.locator(sel('tag-name'), { hasText: tagName })
      await tagCell.waitFor()
      const tagId = await tagCell.getAttribute('data-tag-id')
      assert.match(tagId ?? '', /^\d+$/)

      // Add it on the user's page; it is there after a reload.
      await openUser(page, item.id)
      const userTag = page.locator(`${sel('user-tag')}[data-tag-id="${tagId}"]`)
      assert.equal(await userTag.count(), 0)
      await page.locator(sel('user-tag-select')).click()
      await page.locator(`${sel('user-tag-select-option')}[data-tag-id="${tagId}"]:visible`).click()
      await page.locator(sel('user-tag-add')).click()
      await userTag.waitFor()
      assert.equal((await userTag.locator(sel('user-tag-name')).innerText()).trim(), tagName)
      await page.reload()
      await userTag.waitFor()

      // The tag filter of the users list now finds exactly this user.
      await page.goto(`${BASE_URL}/users?tag_id=${tagId}`)
      await page.waitForFunction(
        ({ cell, id }) => [...document.querySelectorAll(cell)].map((e) => e.textContent.trim()).join() === id,
        { cell: sel('user-row-external-id'), id: item.external_id },
      )

      // Remove it; it stays gone after a reload.
      await openUser(page, item.id)
      await userTag.locator(sel('user-tag-remove')).click()
      await userTag.waitFor({ state: 'detached' })
      await page.reload()
      await page.locator(sel('user-tags')).waitFor()
      assert.equal(await userTag.count(), 0)
      const after = await apiGet(page, `/api/v1/users/${item.id}`)
      assert.ok(!after.tags.some((t) => t.id === tagId), 'the server no longer has the tag on the user')
    })
  })

  test('an admin erases a user\'s personal data', async () => {
    await withPage('user-erase', async (page) => {
      await logIn(page)
      const candidates = await findDemoUsers(page, 2)
      const { item } = candidates[candidates.length - 1]
      await openUser(page, item.id)
      assert.equal((await page.locator(sel('user-name')).innerText()).trim(), item.name)

      await page.locator(sel('user-erase')).click()
      await page.locator(`${sel('user-erase-confirm')}:visible`).click()
      await page.locator(sel('user-erased-badge')).waitFor()
      assert.equal((await page.locator(sel('user-name')).innerText()).trim(), '')
      assert.equal((await page.locator(sel('user-phone')).innerText()).trim(), '')
      assert.equal(await page.locator(sel('user-erase')).count(), 0, 'an erased user cannot be erased again')
      const after = await apiGet(page, `/api/v1/users/${item.id}`)
      assert.ok(after.user.erased_at, 'the server marks the user erased')
    })
  })

  test('the imports page lists the demo import run with its counts', async () => {
    await withPage('imports', async (page) => {
      await logIn(page)
      await page.locator(sel('nav-imports')).click()
      await waitForPath(page, '/imports')

      const demoKind = page.locator(`${sel('import-kind')}[data-kind="demo"]`).first()
      await demoKind.waitFor()
      const row = page.locator('tr', { has: demoKind })
      assert.equal(await row.locator(sel('import-status')).getAttribute('data-status'), 'succeeded')
      const accepted = Number((await row.locator(sel('import-count-accepted')).innerText()).replace(/\D/g, ''))
      assert.ok(accepted > 0, 'the demo run accepted records')

      await demoKind.click()
      const detail = page.locator(sel('import-detail'))
      await detail.locator(sel('import-detail-kind')).waitFor()
      assert.equal(await detail.locator(sel('import-detail-kind')).getAttribute('data-kind'), 'demo')
      assert.equal(await detail.locator(sel('import-detail-status')).getAttribute('data-status'), 'succeeded')
      const count = async (key) => Number((await detail.locator(sel(`import-detail-${key}`)).innerText()).replace(/\D/g, ''))
      assert.equal(await count('accepted'), accepted)
      assert.ok((await count('read')) >= accepted)
      await detail.locator(sel('import-summary')).waitFor()
      assert.ok(new URL(page.url()).searchParams.get('run'), 'the open run is in the URL')
      await page.waitForTimeout(400) // let the drawer finish sliding in for the picture
      await page.screenshot({ path: path.join(RESULTS_DIR, 'imports.png'), fullPage: true })
    })
  })

  test('the segments menu entry opens the saved segments, and "new" the builder with the index status', async () => {
    await withPage('segments-nav', async (page) => {
      await logIn(page)
      await page.locator(sel('nav-segments')).click()
      await waitForPath(page, '/segments')
      await page.locator(sel('segment-list')).waitFor()
      assert.equal(await page.locator(sel('coming-soon')).count(), 0, 'no longer a placeholder')
      await page.locator(sel('segment-new')).click()
      await waitForPath(page, '/segments/new')
      await page.locator(sel('segments')).waitFor()
      assert.equal(await page.locator(sel('segment-count')).getAttribute('data-state'), 'idle')
      assert.ok((await page.locator(sel('segment-example')).count()) > 0)

      // The index line shows the server's index; an admin rebuilds it (the next generation).
      const before = await apiGet(page, '/api/v1/segments/index')
      const index = page.locator(sel('segment-index'))
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.generation, sel('segment-index'))
      assert.equal(Number(await index.getAttribute('data-users')), before.users)
      assert.ok(before.users > 0, 'the demo users are in the index')
      await page.locator(sel('segment-rebuild')).click()
      await page.waitForFunction(
        ({ s, g }) => Number(document.querySelector(s)?.dataset.generation) > g,
        { s: sel('segment-index'), g: before.generation },
      )
      // The index may move on again by itself (it follows new facts), so the page shows
      // the rebuilt generation or, briefly, the one before the newest.
      const shown = Number(await index.getAttribute('data-generation'))
      const rebuilt = await apiGet(page, '/api/v1/segments/index')
      assert.ok(shown > before.generation && shown <= rebuilt.generation, `${shown} in (${before.generation}, ${rebuilt.generation}]`)
      assert.ok((await index.innerText()).includes(String(shown)))
      // How many changed users were read again since the full build: a count, shown when any.
      const changed = await index.getAttribute('data-changed-users')
      assert.match(changed ?? '', /^\d+$/)
      const text = await index.innerText()
      assert.equal(text.includes('since') || text.includes('此后'), Number(changed) > 0, text)
    })
  })

  test('the segment builder counts typed filters live and points at syntax errors', async () => {
    await withPage('segments-text', async (page) => {
      await logIn(page)
      await page.goto(`${BASE_URL}/segments/new`)
      await page.locator(sel('segments')).waitFor()

      // Buyers: some of the demo users, as many as the server counts.
      await typeFilter(page, 'orders >= 1')
      const buyers = await assertSegmentCount(page, 'orders >= 1')
      assert.ok(buyers.count > 0 && buyers.count <= buyers.users, `0 < ${buyers.count} <= ${buyers.users}`)
      assert.ok(buyers.count < buyers.users, 'the demo has users without orders too')

      // A contradiction counts nobody; keywords in any case give the canonical text.
      await typeFilter(page, 'orders >= 1 AND orders = 0')
      const nobody = await assertSegmentCount(page, 'orders >= 1 and orders = 0')
      assert.equal(nobody.count, 0)

      // A syntax error at the end: shown with its position, the count withdrawn.
      await typeFilter(page, 'orders >=')
      const error = page.locator(sel('segment-filter-error'))
      await error.waitFor()
      const bad = await apiPost(page, '/api/v1/segments/preview', { filter: 'orders >=' })
      assert.equal(bad.status, 400)
      assert.equal(bad.body.reason, 'invalid_filter')
      const [{ detail }] = bad.body.errors
      assert.match(detail, /^at 10: /)
      assert.equal((await error.locator(sel('segment-filter-error-detail')).innerText()).trim(), detail)
      assert.equal(await error.getAttribute('data-position'), '10')
      assert.equal((await error.locator(sel('segment-filter-error-mark')).innerText()).trim(), '', 'past the end')
      assert.equal(await page.locator(sel('segment-count')).getAttribute('data-state'), 'error')
      assert.equal((await page.locator(sel('segment-count-value')).innerText()).trim(), '—')

      // An error inside the text, after Chinese characters: positions count characters.
      const text = 'city = "上海" orders >= 1'
      await typeFilter(page, text)
      await page.waitForFunction(
        (s) => document.querySelector(s)?.dataset.position === '13',
        sel('segment-filter-error'),
      )
      const inner = await apiPost(page, '/api/v1/segments/preview', { filter: text })
      assert.equal(inner.status, 400)
      assert.match(inner.body.errors[0].detail, /^at 13: /)
      assert.equal((await error.locator(sel('segment-filter-error-mark')).innerText()).trim(), 'o')
      await error.locator(sel('segment-filter-error-jump')).click()
      const selected = await page.locator(sel('segment-filter-text')).evaluate((e) => e.value.slice(e.selectionStart, e.selectionEnd))
      assert.equal(selected, 'o', 'the error position is selected in the text area')

      // Fixing it counts again and the error goes.
      await typeFilter(page, 'city = "上海" or orders >= 1')
      await assertSegmentCount(page, 'city = "上海" or orders >= 1')
      assert.equal(await error.count(), 0)

      // As of a day before the demo's first order: nobody had ordered yet.
      await typeFilter(page, 'orders >= 1')
      await assertSegmentCount(page, 'orders >= 1')
      const asOfInput = page.locator(`${sel('segment-as-of')} input`)
      const sent = page.waitForRequest((r) => r.url().endsWith('/api/v1/segments/preview') && r.postDataJSON()?.as_of)
      await asOfInput.fill('2000-01-01 00:00:00')
      await asOfInput.press('Enter')
      const asOf = (await sent).postDataJSON().as_of
      assert.match(asOf, /^(2000-01-01|1999-12-31)T\d\d:\d\d:\d\dZ$/)
      await page.waitForFunction(
        (s) => document.querySelector(s)?.dataset.state === 'ok' && document.querySelector(s)?.dataset.count === '0',
        sel('segment-count'),
      )
      assert.equal((await assertSegmentCount(page, 'orders >= 1', 'orders >= 1', asOf)).count, 0)
    })
  })

  test('the condition editor writes the canonical text and counts it', async () => {
    await withPage('segments-editor', async (page) => {
      await logIn(page)
      // The commonest city among the first demo users.
      const { items } = await apiGet(page, '/api/v1/users?limit=100')
      const tally = new Map()
      for (const u of items) if (u.city && !u.erased) tally.set(u.city, (tally.get(u.city) ?? 0) + 1)
      const [[city, seen]] = [...tally].sort((a, b) => b[1] - a[1])

      await page.goto(`${BASE_URL}/segments/new`)
      await page.locator(sel('segments')).waitFor()
      const textArea = page.locator(sel('segment-filter-text'))
      const waitForText = (text) =>
        page.waitForFunction(({ s, text }) => document.querySelector(s)?.value === text, { s: sel('segment-filter-text'), text })

      // city = <city>
      await page.locator(sel('segment-add-condition')).click()
      const first = page.locator(sel('segment-condition')).nth(0)
      await first.locator(sel('segment-condition-field')).click()
      await page.locator(`${sel('segment-condition-field-option')}[data-field="city"]:visible`).click()
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.state === 'incomplete', sel('segment-count'))
      await first.locator(sel('segment-condition-value')).fill(city)
      const cityText = `city = "${city}"`
      await waitForText(cityText)
      const byCity = await assertSegmentCount(page, cityText, { field: 'city', op: '=', value: city })
      assert.ok(byCity.count >= seen, `${city}: ${byCity.count} >= ${seen} seen on the first page`)

      // and orders(90d) >= 1
      await page.locator(sel('segment-add-condition')).click()
      const second = page.locator(sel('segment-condition')).nth(1)
      await second.locator(sel('segment-condition-field')).click()
      await page.locator(`${sel('segment-condition-field-option')}[data-field="orders"]:visible`).click()
      await second.locator(`${sel('segment-condition-window')} input`).fill('90')
      await second.locator(`${sel('segment-condition-value')} input`).fill('1')
      const andText = `city = "${city}" and orders(90d) >= 1`
      await waitForText(andText)
      const both = await assertSegmentCount(page, andText, {
        and: [
          { field: 'city', op: '=', value: city },
          { field: 'orders', window_days: 90, op: '>=', value: 1 },
        ],
      })
      assert.ok(both.count <= byCity.count)

      // OR instead of AND
      await page.locator(sel('segment-combinator-or')).click()
      const orText = `city = "${city}" or orders(90d) >= 1`
      await waitForText(orText)
      const either = await assertSegmentCount(page, orText)
      assert.ok(either.count >= byCity.count)

      // A typed filter loads into the editor as rows, and the text stays canonical.
      const example = page.locator(`${sel('segment-example')}[data-filter^="city in"]`)
      const exampleText = await example.getAttribute('data-filter')
      await example.click()
      assert.equal(await textArea.inputValue(), exampleText)
      await assertSegmentCount(page, exampleText)
      await page.locator(sel('segment-text-edited')).waitFor()
      await page.locator(sel('segment-load-text')).click()
      await page.waitForFunction((s) => document.querySelectorAll(s).length === 2, sel('segment-condition'))
      await page.locator(sel('segment-text-edited')).waitFor({ state: 'detached' })
      await assertSegmentCount(page, exampleText)
      await page.screenshot({ path: path.join(RESULTS_DIR, 'segments.png'), fullPage: true })

      // Removing every row empties the text.
      await page.locator(sel('segment-condition-remove')).first().click()
      await page.locator(sel('segment-condition-remove')).first().click()
      await waitForText('')
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.state === 'idle', sel('segment-count'))
    })
  })

  test('saves a segment from the builder; lists, snapshots, shows, exports, compares and deletes it', async () => {
    await withPage('saved-segments', async (page) => {
      await logIn(page)
      const name = `e2e 分群 ${Date.now()}`
      await page.goto(`${BASE_URL}/segments/new`)
      await page.locator(sel('segments')).waitFor()
      await typeFilter(page, 'orders >= 1')
      const buyers = await assertSegmentCount(page, 'orders >= 1')

      // "Save as segment" saves it and the builder goes on editing it.
      await page.locator(sel('segment-save-as')).click()
      await page.locator(sel('segment-save-name')).fill(name)
      await page.locator(sel('segment-save-description')).fill('browser test')
      await page.locator(`${sel('segment-save-submit')}:visible`).click()
      await page.waitForURL((url) => /^\/segments\/\d+\/edit$/.test(url.pathname))
      const id = new URL(page.url()).pathname.split('/')[2]
      await page.waitForFunction(({ s, id }) => document.querySelector(s)?.dataset.segmentId === id, { s: sel('segments'), id })
      const saved = await apiGet(page, `/api/v1/segments/${id}`)
      assert.equal(saved.name, name)
      assert.equal(saved.kind, 'dynamic')
      assert.equal(saved.text, 'orders >= 1')
      assert.equal(saved.count, buyers.count)

      // The same name again: the server's 409 is shown on the name field.
      const taken = await apiPost(page, '/api/v1/segments', { name, filter: 'orders >= 1' })
      assert.equal(taken.status, 409)
      assert.equal(taken.body.reason, 'segment_name_taken')
      await page.locator(sel('segment-save-as')).click()
      await page.locator(sel('segment-save-name')).fill(name)
      await page.locator(`${sel('segment-save-submit')}:visible`).click()
      await page.waitForFunction(
        ({ s, detail }) => document.querySelector(s)?.textContent.includes(detail),
        { s: sel('segment-save-name-item'), detail: taken.body.detail },
      )
      await page.keyboard.press('Escape')
      await page.locator(`${sel('segment-save-submit')}:visible`).waitFor({ state: 'hidden' })

      // "Save" writes a changed filter back; a bad one is refused with the server's reason.
      await typeFilter(page, 'orders >= 2')
      const repeat = await assertSegmentCount(page, 'orders >= 2')
      const patched = page.waitForResponse((r) => r.url().endsWith(`/api/v1/segments/${id}`) && r.request().method() === 'PATCH')
      await page.locator(sel('segment-save')).click()
      assert.equal((await patched).status(), 200)
      assert.equal((await apiGet(page, `/api/v1/segments/${id}`)).text, 'orders >= 2')
      await typeFilter(page, 'orders >=')
      await page.locator(sel('segment-save')).click()
      const saveError = page.locator(sel('segment-save-error'))
      await saveError.waitFor()
      assert.equal(await saveError.getAttribute('data-reason'), 'invalid_filter')
      assert.equal((await apiGet(page, `/api/v1/segments/${id}`)).text, 'orders >= 2', 'the stored filter is unchanged')

      // The list shows it with the API's count.
      await page.locator(sel('segment-back')).click()
      await waitForPath(page, '/segments')
      const rowOf = (segmentId) => page.locator('tr', { has: page.locator(`${sel('segment-row-name')}[data-segment-id="${segmentId}"]`) })
      const row = rowOf(id)
      await row.waitFor()
      const listed = (await apiGet(page, '/api/v1/segments')).items.find((g) => g.id === id)
      assert.equal(listed.count, repeat.count)
      assert.ok(listed.count > 50, 'more members than one page')
      assert.equal((await row.locator(sel('segment-row-name')).innerText()).trim(), name)
      assert.equal(await row.locator(sel('segment-row-kind')).getAttribute('data-kind'), 'dynamic')
      assert.equal((await row.locator(sel('segment-row-text')).innerText()).trim(), 'orders >= 2')
      assert.equal(Number(await row.locator(sel('segment-row-count')).getAttribute('data-count')), listed.count)
      assert.equal((await row.locator(sel('segment-row-count')).innerText()).replace(/\D/g, ''), String(listed.count))

      // A snapshot: a new row of kind snapshot with the same count.
      const snapName = `${name} 快照`
      await row.locator(sel('segment-snapshot')).click()
      await page.locator(sel('segment-snapshot-name')).fill(snapName)
      const snapshotted = page.waitForResponse((r) => r.url().endsWith(`/api/v1/segments/${id}/snapshot`))
      await page.locator(`${sel('segment-snapshot-submit')}:visible`).click()
      const snap = await (await snapshotted).json()
      assert.equal(snap.kind, 'snapshot')
      assert.equal(snap.snapshot_of, id)
      assert.equal(snap.count, listed.count)
      const snapRow = rowOf(snap.id)
      await snapRow.waitFor()
      assert.equal((await snapRow.locator(sel('segment-row-name')).innerText()).trim(), snapName)
      assert.equal(await snapRow.locator(sel('segment-row-kind')).getAttribute('data-kind'), 'snapshot')
      assert.equal(Number(await snapRow.locator(sel('segment-row-count')).getAttribute('data-count')), listed.count)
      assert.equal(await snapRow.locator(sel('segment-open')).count(), 0, 'a snapshot does not open in the builder')
      assert.equal(await snapRow.locator(sel('segment-snapshot')).count(), 0)

      // The members drawer: the server's first page, then "load more" its second.
      const firstPage = await apiGet(page, `/api/v1/segments/${id}/members?limit=50`)
      assert.equal(firstPage.items.length, 50)
      await row.locator(sel('segment-members')).click()
      const drawer = page.locator(sel('segment-members-drawer'))
      const shownIds = () => drawer.locator(sel('segment-member')).evaluateAll((els) => els.map((e) => e.dataset.userId))
      await page.waitForFunction((s) => document.querySelectorAll(s).length === 50, sel('segment-member'))
      assert.deepEqual(await shownIds(), firstPage.items.map((m) => m.id))
      const firstLink = drawer.locator(`${sel('segment-member')} a`).first()
      assert.equal((await firstLink.innerText()).trim(), firstPage.items[0].external_id)
      assert.equal(await firstLink.getAttribute('href'), `/users/${firstPage.items[0].id}`)
      const secondPage = await apiGet(page, `/api/v1/segments/${id}/members?limit=50&cursor=${firstPage.next_cursor}`)
      await drawer.locator(sel('segment-members-more')).click()
      await page.waitForFunction(({ s, n }) => document.querySelectorAll(s).length === n, {
        s: sel('segment-member'),
        n: 50 + secondPage.items.length,
      })
      assert.deepEqual(await shownIds(), [...firstPage.items, ...secondPage.items].map((m) => m.id))
      await page.keyboard.press('Escape')
      await drawer.waitFor({ state: 'hidden' })

      // The CSV link answers every member, with the page's session cookie.
      const href = await row.locator(sel('segment-export')).getAttribute('href')
      assert.equal(href, `/api/v1/segments/${id}/members.csv`)
      const csv = await page.request.get(`${BASE_URL}${href}`)
      assert.equal(csv.status(), 200)
      assert.match(csv.headers()['content-type'] ?? '', /^text\/csv/)
      const lines = (await csv.text()).trim().split(/\r?\n/)
      assert.equal(lines[0], 'user_id,external_id')
      assert.equal(lines.length - 1, listed.count)
      assert.deepEqual(lines.slice(1, 51).map((l) => l.split(',')[0]), firstPage.items.map((m) => m.id))

      // Overlap of the segment with its own snapshot: all of it in both.
      await page.locator(sel('segment-overlap-a')).click()
      await page.locator(`${sel('segment-overlap-a-option')}[data-segment-id="${id}"]:visible`).click()
      await page.locator(sel('segment-overlap-b')).click()
      await page.locator(`${sel('segment-overlap-b-option')}[data-segment-id="${snap.id}"]:visible`).click()
      await page.locator(sel('segment-overlap-run')).click()
      const overlap = page.locator(sel('segment-overlap-result'))
      await overlap.waitFor()
      const { status: overlapStatus, body: apiOverlap } = await apiPost(page, '/api/v1/segments/overlap', { a: id, b: snap.id })
      assert.equal(overlapStatus, 200)
      const shownOverlap = await overlap.evaluate((e) => ({ ...e.dataset }))
      for (const [key, attr] of [['a', 'a'], ['b', 'b'], ['both', 'both'], ['a_only', 'aOnly'], ['b_only', 'bOnly'], ['either', 'either']]) {
        assert.equal(Number(shownOverlap[attr]), apiOverlap[key], `overlap ${key}`)
      }
      assert.equal(apiOverlap.both, listed.count)
      await page.locator(`${sel('segment-overlap-chart')} canvas`).waitFor()
      await page.waitForTimeout(400) // let the bars grow for the picture
      await page.screenshot({ path: path.join(RESULTS_DIR, 'segment-list.png'), fullPage: true })

      // Delete both: the rows go, and so do the segments on the server.
      for (const [segmentId, segmentRow] of [[snap.id, snapRow], [id, row]]) {
        await segmentRow.locator(sel('segment-delete')).click()
        await page.locator(`${sel('segment-delete-confirm')}:visible`).click()
        await segmentRow.waitFor({ state: 'detached' })
        assert.equal((await page.request.get(`${BASE_URL}/api/v1/segments/${segmentId}`)).status(), 404)
      }
    })
  })

  test('the builder explains the filter as a funnel with the server\'s step counts', async () => {
    await withPage('segments-funnel', async (page) => {
      await logIn(page)
      const city = await commonestCity(page)
      const text = `orders >= 1 and city = "${city}" and spend(365d) >= 100`
      await page.goto(`${BASE_URL}/segments/new`)
      await page.locator(sel('segments')).waitFor()
      await typeFilter(page, text)
      const shown = await assertSegmentCount(page, text)

      await page.waitForFunction(
        ({ s, text }) => {
          const e = document.querySelector(s)
          return e?.dataset.state === 'ok' && e.dataset.text === text
        },
        { s: sel('segment-funnel'), text },
      )
      const steps = await page.locator(sel('segment-funnel-step')).evaluateAll((els) =>
        els.map((e) => ({ text: e.dataset.text, users: Number(e.dataset.users) })),
      )
      const { status, body } = await apiPost(page, '/api/v1/segments/explain', { filter: text })
      assert.equal(status, 200)
      assert.deepEqual(steps, body.steps)
      assert.equal(steps.length, 3, 'one step per condition of the AND')
      assert.ok(steps[0].users >= steps[1].users && steps[1].users >= steps[2].users, 'each step keeps fewer users')
      assert.equal(steps[2].users, shown.count, 'the last step is the count')
      assert.deepEqual(await textsOf(page, 'segment-funnel-step-users'), steps.map((s) => s.users.toLocaleString('zh-CN')))
      await page.locator(`${sel('segment-funnel-chart')} canvas`).waitFor()

      // A filter that is not an AND is one step; a bad filter empties the funnel.
      await typeFilter(page, 'orders >= 1 or orders = 0')
      await assertSegmentCount(page, 'orders >= 1 or orders = 0')
      await page.waitForFunction(
        (s) => document.querySelector(s)?.dataset.state === 'ok' && document.querySelectorAll('[data-test="segment-funnel-step"]').length === 1,
        sel('segment-funnel'),
      )
      await typeFilter(page, 'orders >=')
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.state === 'idle', sel('segment-funnel'))
    })
  })

  test('the lifecycle dashboard shows the pivot API\'s stage sizes, for everyone and for a filter', async () => {
    await withPage('analytics-lifecycle', async (page) => {
      await logIn(page)
      await page.locator(sel('nav-analytics')).click()
      await waitForPath(page, '/analytics/lifecycle')
      assert.equal(await page.locator(sel('coming-soon')).count(), 0, 'no longer a placeholder')

      const index = await apiGet(page, '/api/v1/segments/index')
      const everyone = await apiPivot(page, { dimensions: ['lifecycle'] })
      const shown = await shownLifecycle(page, '')
      assertSameCells(shown, everyone.cells)
      const sum = Object.values(shown).reduce((a, b) => a + b, 0)
      assert.equal(sum, index.users, 'every user in the index has a stage')
      assert.equal(Number(await page.locator(sel('lifecycle-total')).getAttribute('data-users')), index.users)
      const [biggest] = [...everyone.cells].sort((a, b) => b.users - a.users)
      const percent = await page
        .locator('tr', { has: page.locator(`${sel('lifecycle-stage')}[data-stage="${biggest.key[0]}"]`) })
        .locator(sel('lifecycle-stage-percent'))
        .innerText()
      assert.equal(percent.trim(), `${Math.round((biggest.users / index.users) * 1000) / 10}%`)
      await page.locator(`${sel('lifecycle-chart')} canvas`).waitFor()
      await page.waitForTimeout(400) // let the bars grow for the picture
      await page.screenshot({ path: path.join(RESULTS_DIR, 'analytics-lifecycle.png'), fullPage: true })

      // Buyers only: the same as the API with that filter, and nobody is "potential".
      await page.locator(sel('analytics-filter')).fill('orders >= 1')
      await page.locator(sel('analytics-filter')).press('Enter')
      const buyers = await apiPivot(page, { dimensions: ['lifecycle'], filter: 'orders >= 1' })
      const shownBuyers = await shownLifecycle(page, 'orders >= 1')
      assertSameCells(shownBuyers, buyers.cells)
      assert.equal(shownBuyers.potential ?? 0, 0)
      const count = await segmentPreview(page, 'orders >= 1')
      assert.equal(Object.values(shownBuyers).reduce((a, b) => a + b, 0), count.count)
      assert.equal(new URL(page.url()).searchParams.get('filter'), 'orders >= 1', 'the filter is kept in the URL')

      // As of the last day of 2000 (before any demo order), among everyone: nobody had bought.
      await page.locator(sel('analytics-reset')).click()
      await shownLifecycle(page, '')
      const asOfInput = page.locator(`${sel('analytics-as-of')} input`)
      await asOfInput.fill('2000-12-31')
      await asOfInput.press('Enter')
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.state === 'ok' && document.querySelector(s)?.dataset.asOf, sel('lifecycle-dashboard'))
      const asOf = await page.locator(sel('lifecycle-dashboard')).getAttribute('data-as-of')
      assert.match(asOf, /^(2000-12-31|2001-01-01)T\d\d:\d\d:\d\dZ$/, 'the end of the day picked, in UTC')
      assert.equal(new URL(page.url()).searchParams.get('as_of'), '2000-12-31')
      const then = await apiPivot(page, { dimensions: ['lifecycle'], as_of: asOf })
      const shownThen = await shownLifecycle(page, '')
      assertSameCells(shownThen, then.cells)
      assert.equal(shownThen.potential, index.users, 'in 2000 every user is potential')

      // A bad filter is pointed at beside the filter box.
      await page.locator(sel('analytics-filter')).fill('orders >=')
      await page.locator(sel('analytics-filter')).press('Enter')
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.position === '10', sel('segment-filter-error'))
    })
  })

  test('the RFM grid and the Pareto chart show the pivot API\'s users and revenue', async () => {
    await withPage('analytics-rfm', async (page) => {
      await logIn(page)
      await page.goto(`${BASE_URL}/analytics/rfm`)
      const grid = page.locator(sel('rfm-grid'))
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.state === 'ok', sel('rfm-grid'))
      const rfm = await apiPivot(page, { dimensions: ['rfm_cell'], sum: 'spend(365d)' })
      const cards = await grid.locator(sel('rfm-cell')).evaluateAll((els) =>
        els.map((e) => ({
          cell: e.dataset.cell,
          users: Number(e.dataset.users),
          sum: Number(e.dataset.sum),
          revenue: e.querySelector('[data-test="rfm-cell-revenue"]').textContent.trim(),
          users_text: e.querySelector('[data-test="rfm-cell-users"]').textContent.trim(),
          label: e.querySelector('[data-test="rfm-cell-label"]').textContent.trim(),
        })),
      )
      const CELLS = [
        'important_value', 'important_development', 'important_retention', 'important_recall',
        'general_value', 'general_development', 'general_retention', 'general_recall',
      ]
      assert.deepEqual(cards.map((c) => c.cell), CELLS, 'the eight cells, important first')
      for (const card of cards) {
        const api = rfm.cells.find((c) => c.key[0] === card.cell) ?? { users: 0, sum: 0 }
        assert.equal(card.users, api.users, `users of ${card.cell}`)
        assert.equal(card.users_text.replace(/\D/g, ''), String(api.users))
        assert.equal(card.sum, api.sum, `revenue of ${card.cell}`)
        assert.equal(card.revenue.replace(/[^\d.]/g, ''), (api.sum / 100).toFixed(2), 'fen shown as yuan')
      }
      assert.ok(cards.some((c) => c.users > 0))
      assert.equal(cards[0].label, '重要价值')
      const none = rfm.cells.find((c) => c.key[0] === null)?.users ?? 0
      assert.equal(Number(await page.locator(sel('rfm-no-cell')).getAttribute('data-users')), none)
      await page.screenshot({ path: path.join(RESULTS_DIR, 'analytics-rfm.png'), fullPage: true })
      await page.locator(sel('lang-en')).click()
      await page.waitForFunction(
        (s) => document.querySelector(s)?.textContent.trim() === 'Important value',
        sel('rfm-cell-label'),
      )

      // Pareto: head, waist and tail with the API's users and spend.
      await page.locator(sel('analytics-tab-pareto')).click()
      await waitForPath(page, '/analytics/pareto')
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.state === 'ok', sel('pareto-chart'))
      const pareto = await apiPivot(page, { dimensions: ['pareto_tier'], sum: 'spend(365d)' })
      const tiers = await page.locator(sel('pareto-tier')).evaluateAll((els) =>
        els.map((e) => ({ tier: e.dataset.tier, users: Number(e.dataset.users), sum: Number(e.dataset.sum) })),
      )
      assert.deepEqual(tiers.map((x) => x.tier), ['head', 'waist', 'tail'])
      for (const tier of tiers) {
        const api = pareto.cells.find((c) => c.key[0] === tier.tier) ?? { users: 0, sum: 0 }
        assert.equal(tier.users, api.users, `users of ${tier.tier}`)
        assert.equal(tier.sum, api.sum, `spend of ${tier.tier}`)
      }
      assert.ok(tiers[0].sum >= tiers[1].sum && tiers[1].sum >= tiers[2].sum, 'the head spends most, the tail least')
      await page.locator(`${sel('pareto-chart-canvas')} canvas`).waitFor()
    })
  })

  test('the pivot view shows city × lifecycle as the API counts it', async () => {
    await withPage('analytics-pivot', async (page) => {
      await logIn(page)
      await page.goto(`${BASE_URL}/analytics/pivot`)
      const view = page.locator(sel('pivot-view'))
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.state === 'ok', sel('pivot-view'))
      assert.equal(await view.getAttribute('data-dimensions'), 'city')

      await page.locator(sel('pivot-dim-2')).click()
      await page.locator(`${sel('pivot-dim-option')}[data-dim="lifecycle"]:visible`).click()
      await page.waitForFunction(
        (s) => document.querySelector(s)?.dataset.state === 'ok' && document.querySelector(s)?.dataset.dimensions === 'city,lifecycle',
        sel('pivot-view'),
      )
      assert.equal(new URL(page.url()).searchParams.get('dims'), 'city,lifecycle', 'the choice is kept in the URL')
      const api = await apiPivot(page, { dimensions: ['city', 'lifecycle'] })
      const index = await apiGet(page, '/api/v1/segments/index')
      const cells = await shownPivotCells(page)
      for (const c of api.cells) assert.equal(cells.get(JSON.stringify(c.key))?.users, c.users, `users of ${JSON.stringify(c.key)}`)
      const nonEmpty = [...cells.values()].filter((c) => c.users > 0)
      assert.equal(nonEmpty.length, api.cells.filter((c) => c.users > 0).length, 'no other cell has users')
      assert.equal(nonEmpty.reduce((a, c) => a + c.users, 0), index.users)
      assert.equal(Number(await page.locator(sel('pivot-total')).getAttribute('data-users')), index.users)
      await page.locator(`${sel('pivot-chart')} canvas`).first().waitFor()
      await page.waitForTimeout(400)
      await page.screenshot({ path: path.join(RESULTS_DIR, 'analytics-pivot.png'), fullPage: true })

      // With the sum of spend(365d): each cell's sum is the API's (in fen).
      await page.locator(sel('pivot-measure')).click()
      await page.locator(`${sel('pivot-measure-option')}[data-measure="spend(365d)"]:visible`).click()
      await page.waitForFunction(
        (s) => document.querySelector(s)?.dataset.state === 'ok' && document.querySelector(s)?.dataset.sum === 'spend(365d)',
        sel('pivot-view'),
      )
      const withSum = await apiPivot(page, { dimensions: ['city', 'lifecycle'], sum: 'spend(365d)' })
      const summed = await shownPivotCells(page)
      for (const c of withSum.cells) {
        const shown = summed.get(JSON.stringify(c.key))
        assert.equal(shown?.users, c.users)
        assert.equal(shown?.sum, c.sum, `spend of ${JSON.stringify(c.key)}`)
      }
    })
  })

  test('the lifecycle dashboard shows the stage changes of a period as the flows API counts them', async () => {
    await withPage('analytics-flows', async (page) => {
      await logIn(page)
      await page.goto(`${BASE_URL}/analytics/lifecycle`)
      let data = await waitForAnswer(page, 'lifecycle-flows')
      // By default the last 30 days up to today: [the first day's midnight, the next midnight after today).
      const days = (Date.parse(data.to) - Date.parse(data.from)) / 86_400_000
      assert.ok(Math.abs(days - 30) < 0.05, `the default period is 30 days (${data.from} – ${data.to})`)
      assert.ok(Date.parse(data.from) < Date.now() && Date.now() < Date.parse(data.to), 'the default period covers now')

      // The server records the stages shortly after it starts: wait for them (up to ~10 s).
      const query = `/api/v1/analytics/lifecycle/flows?from=${encodeURIComponent(data.from)}&to=${encodeURIComponent(data.to)}`
      let api = await apiGet(page, query)
      for (let i = 0; i < 20 && api.flows.length === 0; i++) {
        await page.waitForTimeout(500)
        api = await apiGet(page, query)
      }
      assert.ok(api.flows.length > 0, 'the server recorded stage changes in the last 30 days')

      // The page asked perhaps before the first record: load it again, then compare.
      await page.reload()
      data = await waitForAnswer(page, 'lifecycle-flows', { from: data.from })
      const shown = await shownFlows(page)
      api = await apiGet(page, query)
      assert.deepEqual(shown, sortFlows(api.flows.map((f) => ({ from: f.from ?? 'null', to: f.to, users: f.users }))), 'the API\'s flows')
      const total = shown.reduce((n, f) => n + f.users, 0)
      assert.ok(total > 0)
      assert.equal(Number(data.total), total)
      assert.equal(Number(await page.locator(sel('lifecycle-flows-total')).getAttribute('data-users')), total)
      const firstSeen = page.locator(`${sel('lifecycle-flow')}[data-from="null"]`).first()
      assert.equal((await firstSeen.innerText()).trim(), '首次记录', 'a first record is "first seen"')
      await page.locator(`${sel('lifecycle-flows-chart')} canvas`).waitFor()
      await page.waitForTimeout(1000) // the links and the nodes fade in
      await page.locator(sel('lifecycle-flows')).screenshot({ path: path.join(RESULTS_DIR, 'analytics-flows.png') })
      await page.locator(sel('lang-en')).click()
      await page.waitForFunction((s) => document.querySelector(s)?.textContent.trim() === 'First seen', `${sel('lifecycle-flow')}[data-from="null"]`)

      // A period in 2000 (kept in the URL): nothing was recorded then.
      await page.goto(`${BASE_URL}/analytics/lifecycle?from=2000-01-01&to=2000-01-31`)
      const from2000 = await browserMidnight(page, '2000-01-01')
      data = await waitForAnswer(page, 'lifecycle-flows', { from: from2000 })
      assert.equal(data.to, await browserMidnight(page, '2000-02-01'), 'the last day included')
      const old = await apiGet(page, `/api/v1/analytics/lifecycle/flows?from=${encodeURIComponent(data.from)}&to=${encodeURIComponent(data.to)}`)
      assert.deepEqual(old.flows, [])
      await page.locator(sel('lifecycle-flows-empty')).waitFor()
      assert.equal(await page.locator(sel('lifecycle-flow')).count(), 0)
    })
  })

  test('the AARRR tab shows the API\'s funnel for the period and the filter', async () => {
    await withPage('analytics-aarrr', async (page) => {
      await logIn(page)
      await page.goto(`${BASE_URL}/analytics/lifecycle`)
      await page.locator(sel('analytics-tab-aarrr')).click()
      await waitForPath(page, '/analytics/aarrr')

      const everyone = await shownAarrr(page, '')
      const days = (Date.parse(everyone.to) - Date.parse(everyone.from)) / 86_400_000
      assert.ok(Math.abs(days - 30) < 0.05, 'by default the last 30 days')
      const all = await assertAarrr(page, everyone, '')
      assert.ok(all.paying > 0 && all.revenue > 0, 'demo users bought in the last 30 days')
      assert.deepEqual(everyone.stages.map((s) => s.label), ['获客', '激活', '留存', '推荐', '收入'])
      await page.locator(`${sel('aarrr-chart')} canvas`).waitFor()
      await page.waitForTimeout(400)
      await page.screenshot({ path: path.join(RESULTS_DIR, 'analytics-aarrr.png'), fullPage: true })

      // The users of the commonest city: the API's funnel with that filter, no more than everyone's.
      const filter = `city = "${await commonestCity(page)}"`
      await page.locator(sel('analytics-filter')).fill(filter)
      await page.locator(sel('analytics-filter')).press('Enter')
      const city = await assertAarrr(page, await shownAarrr(page, filter), filter)
      for (const field of Object.values(AARRR_FIELDS)) assert.ok(city[field] <= all[field], `${field} of a city`)
      assert.ok(city.paying < all.paying || city.acquired < all.acquired, 'the filter selects fewer users')
      assert.equal(new URL(page.url()).searchParams.get('filter'), filter, 'the filter is kept in the URL')

      // A period in the URL, in English.
      await page.locator(sel('lang-en')).click()
      await page.goto(`${BASE_URL}/analytics/aarrr?from=2000-01-01&to=2000-12-31`)
      const y2000 = await shownAarrr(page, '')
      assert.equal(y2000.from, await browserMidnight(page, '2000-01-01'))
      assert.equal(y2000.to, await browserMidnight(page, '2001-01-01'))
      await assertAarrr(page, y2000, '')
      assert.equal(y2000.stages[0].label, 'Acquisition')

      // A bad filter is pointed at beside the filter box.
      await page.locator(sel('analytics-filter')).fill('orders >=')
      await page.locator(sel('analytics-filter')).press('Enter')
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.position === '10', sel('segment-filter-error'))
    })
  })

  test('the pivot view and the lifecycle dashboard show the API\'s users by AIDEES stage', async () => {
    await withPage('analytics-aidees', async (page) => {
      await logIn(page)
      await page.goto(`${BASE_URL}/analytics/pivot`)
      await waitForAnswer(page, 'pivot-view', { dimensions: 'city' })
      await page.locator(sel('pivot-dim-1')).click()
      await page.locator(`${sel('pivot-dim-option')}[data-dim="aidees"]:visible`).click()
      await waitForAnswer(page, 'pivot-view', { dimensions: 'aidees' })
      assert.equal(new URL(page.url()).searchParams.get('dims'), 'aidees', 'the choice is kept in the URL')

      const api = await apiPivot(page, { dimensions: ['aidees'] })
      const index = await apiGet(page, '/api/v1/segments/index')
      const rows = await page
        .locator(sel('pivot-row'))
        .evaluateAll((els) => els.map((e) => ({ key: e.dataset.key, users: Number(e.dataset.users), label: e.textContent.trim() })))
      assert.equal(rows.length, api.cells.length, 'a row per value the API counts')
      for (const c of api.cells) {
        const row = rows.find((r) => r.key === JSON.stringify(c.key))
        assert.ok(row, `a row for ${JSON.stringify(c.key)}`)
        assert.equal(row.users, c.users, `users of ${JSON.stringify(c.key)}`)
        assert.equal(row.label, c.key[0] === null ? '（无）' : AIDEES_LABELS[c.key[0]], `label of ${c.key[0]}`)
      }
      const order = Object.keys(AIDEES_LABELS)
      const shownOrder = rows.map((r) => JSON.parse(r.key)[0]).filter((k) => k !== null)
      assert.deepEqual(shownOrder, order.filter((k) => shownOrder.includes(k)), 'the stages along the path')
      assert.equal(rows.reduce((n, r) => n + r.users, 0), index.users, 'the stages (and none) add up to the users in the index')
      assert.ok(api.cells.some((c) => c.key[0] !== null && c.users > 0), 'demo users have AIDEES stages')
      await page.locator(`${sel('pivot-chart')} canvas`).first().waitFor()

      // The lifecycle dashboard's AIDEES card: the same numbers, every stage in order, no stage last.
      await page.locator(sel('analytics-tab-lifecycle')).click()
      await waitForPath(page, '/analytics/lifecycle')
      const data = await waitForAnswer(page, 'aidees-distribution', { filter: '' })
      const stages = await page.locator(sel('aidees-stage')).evaluateAll((els) => els.map((e) => [e.dataset.stage, Number(e.dataset.users)]))
      assert.deepEqual(stages.map(([k]) => k).slice(0, 6), order)
      assertSameCells(Object.fromEntries(stages), api.cells)
      assert.equal(Number(data.total), index.users)
      assert.equal(Number(await page.locator(sel('aidees-total')).getAttribute('data-users')), index.users)
      await page.locator(`${sel('aidees-chart')} canvas`).waitFor()
      await page.waitForTimeout(400)
      await page.locator(sel('aidees-distribution')).screenshot({ path: path.join(RESULTS_DIR, 'analytics-aidees.png') })

      // For buyers only, the API's numbers for that filter.
      await page.locator(sel('analytics-filter')).fill('orders >= 1')
      await page.locator(sel('analytics-filter')).press('Enter')
      await waitForAnswer(page, 'aidees-distribution', { filter: 'orders >= 1' })
      const buyers = await apiPivot(page, { dimensions: ['aidees'], filter: 'orders >= 1' })
      const shownBuyers = await page.locator(sel('aidees-stage')).evaluateAll((els) => els.map((e) => [e.dataset.stage, Number(e.dataset.users)]))
      assertSameCells(Object.fromEntries(shownBuyers), buyers.cells)
    })
  })

  test('the Tags page shows the system tag groups by label with the API\'s user counts', async () => {
    await withPage('tags-system', async (page) => {
      await logIn(page)
      // The counts follow the index as of the current minute: compare with an answer the
      // server gave both before and after the page asked (try again if a minute turned).
      let api
      for (let attempt = 0; ; attempt++) {
        const before = await apiGet(page, '/api/v1/tag-groups')
        await page.goto(`${BASE_URL}/tags`)
        await page.locator(`${sel('tag-group')}[data-name="sys:customer"] ${sel('tag-user-count')}`).first().waitFor()
        api = await apiGet(page, '/api/v1/tag-groups')
        if (JSON.stringify(before) === JSON.stringify(api) || attempt === 2) break
      }
      const system = api.items.filter((g) => g.kind === 'system')
      assert.deepEqual(system.map((g) => g.name).sort(), Object.keys(SYSTEM_GROUPS).sort(), 'the seven system groups')
      const shownSystem = await page
        .locator(`${sel('tag-group')}[data-kind="system"]`)
        .evaluateAll((els) => els.map((e) => e.dataset.name))
      assert.deepEqual(shownSystem, Object.keys(SYSTEM_GROUPS), 'in model order')

      for (const group of system) {
        const [label, , tagLabels] = SYSTEM_GROUPS[group.name]
        const card = page.locator(`${sel('tag-group')}[data-name="${group.name}"]`)
        assert.equal((await card.locator(sel('tag-group-name')).innerText()).trim(), label, `the label of ${group.name}`)
        assert.equal((await card.locator(sel('tag-group-raw-name')).innerText()).trim(), group.name, 'and its name')
        assert.equal(await card.locator(sel('tag-create')).count(), 0, 'no new tags in a system group')
        const counts = await card
          .locator(sel('tag-user-count'))
          .evaluateAll((els) => els.map((e) => ({ path: e.dataset.path, users: Number(e.dataset.users), text: e.textContent.trim() })))
        assert.equal(counts.length, group.tags.length, `every tag of ${group.name}`)
        const filters = await card.locator(sel('tag-filter')).allInnerTexts()
        for (const tag of group.tags) {
          const ref = `${group.name}/${tag.name}`
          const shown = counts.find((c) => c.path === ref)
          assert.ok(shown, `a row for ${ref}`)
          assert.equal(shown.users, tag.user_count, `users of ${ref}`)
          assert.equal(shown.text, String(tag.user_count))
          assert.ok(filters.map((f) => f.trim()).includes(`has_tag("${ref}")`), `the filter of ${ref}`)
          const name = card.locator(`${sel('tag-name')}[data-tag-id="${tag.id}"]`)
          assert.equal(await name.getAttribute('data-name'), tag.name)
          if (tagLabels[tag.name]) assert.equal((await name.innerText()).trim(), tagLabels[tag.name], `the label of ${ref}`)
        }
      }
      const aidees = system.find((g) => g.name === 'sys:aidees')
      assert.ok(aidees.tags.some((t) => t.user_count > 0), 'demo users hold AIDEES tags')
      await page.screenshot({ path: path.join(RESULTS_DIR, 'tags.png'), fullPage: true })

      await page.locator(sel('lang-en')).click()
      for (const [name, [, english]] of Object.entries(SYSTEM_GROUPS)) {
        await page.waitForFunction(
          ({ s, text }) => document.querySelector(s)?.textContent.trim() === text,
          { s: `${sel('tag-group')}[data-name="${name}"] ${sel('tag-group-name')}`, text: english },
        )
      }

      // A system tag's count opens the builder with has_tag("group/name") as a row, counted as the API counts it.
      await page.locator(`${sel('tag-user-count')}[data-path="sys:aidees/desire"]`).click()
      await waitForPath(page, '/segments/new')
      const server = await segmentPreview(page, 'has_tag("sys:aidees/desire")')
      await assertSegmentCount(page, server.text, 'has_tag("sys:aidees/desire")')
      await page.waitForFunction((s) => document.querySelectorAll(s).length === 1, `${sel('segment-condition')}[data-kind="has_tag"]`)

      // Tagging a user offers manual tags only (the server refuses system ones).
      const [{ item }] = await findDemoUsers(page, 1)
      const groupsLoaded = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/tag-groups')
      await openUser(page, item.id)
      await groupsLoaded
      await page.locator(sel('user-tag-select')).click()
      await page.waitForTimeout(300)
      assert.equal(await page.locator(`${sel('user-tag-select-option')}[data-kind="system"]`).count(), 0, 'no system tag is offered')
      for (const tag of aidees.tags) assert.equal(await page.locator(`${sel('user-tag-select-option')}[data-tag-id="${tag.id}"]`).count(), 0)
    })
  })

  test('the condition editor offers the AIDEES stages and the system tags', async () => {
    await withPage('segments-system-tags', async (page) => {
      await logIn(page)
      await page.goto(`${BASE_URL}/segments/new`)
      await page.locator(sel('segments')).waitFor()
      const waitForText = (text) =>
        page.waitForFunction(({ s, text }) => document.querySelector(s)?.value === text, { s: sel('segment-filter-text'), text })

      // aidees = "desire", picked from the stages.
      await page.locator(sel('segment-add-condition')).click()
      const first = page.locator(sel('segment-condition')).nth(0)
      await first.locator(sel('segment-condition-field')).click()
      await page.locator(`${sel('segment-condition-field-option')}[data-field="aidees"]:visible`).click()
      await first.locator(sel('segment-condition-value')).click()
      const choice = page.locator(`${sel('segment-condition-choice')}:visible`)
      await choice.first().waitFor()
      const choices = await choice.evaluateAll((els) => els.map((e) => [e.dataset.value, e.textContent.trim()]))
      assert.deepEqual(choices, Object.entries(AIDEES_LABELS), 'the six stages, labelled')
      await page.locator(`${sel('segment-condition-choice')}[data-value="desire"]:visible`).click()
      await waitForText('aidees = "desire"')
      const desire = await assertSegmentCount(page, 'aidees = "desire"')

      // and has_tag("sys:customer/repeat_customer"), picked from the system tags.
      await page.locator(sel('segment-add-has-tag')).click()
      const second = page.locator(sel('segment-condition')).nth(1)
      await second.locator(sel('segment-condition-tag')).click()
      const option = page.locator(`${sel('segment-condition-tag-option')}[data-tag="sys:customer/repeat_customer"]:visible`)
      assert.equal(await option.getAttribute('data-kind'), 'system')
      assert.match(await option.innerText(), /复购客/)
      await option.click()
      const text = 'aidees = "desire" and has_tag("sys:customer/repeat_customer")'
      await waitForText(text)
      const both = await assertSegmentCount(page, text)
      assert.ok(both.count <= desire.count)
      const picked = await second.locator(sel('segment-condition-tag')).innerText()
      assert.ok(picked.includes('复购客') && picked.includes('sys:customer/repeat_customer'), `the pick shows its label and name: ${picked}`)
    })
  })

  test("the user 360 page shows the user's models", async () => {
    await withPage('user-models', async (page) => {
      await logIn(page)
      // A demo user with an AIDEES stage and new/repeat customer, if one of the first few has both.
      const candidates = await findDemoUsers(page, 5)
      let item = candidates[0].item
      let models = await apiGet(page, `/api/v1/users/${item.id}/models`)
      for (const c of candidates.slice(1)) {
        if (models.aidees && models.customer) break
        item = c.item
        models = await apiGet(page, `/api/v1/users/${item.id}/models`)
      }
      assert.ok('aidees' in models && 'customer' in models, 'the server gives the AIDEES stage and new/repeat customer')
      await openUser(page, item.id)
      const card = page.locator(sel('user-models'))
      await page.waitForFunction(
        ({ s, stage }) => document.querySelector(s)?.dataset.lifecycle === stage,
        { s: sel('user-models'), stage: models.lifecycle },
      )
      assert.equal(await card.locator(sel('user-models-lifecycle')).getAttribute('data-stage'), models.lifecycle)
      assert.equal(await card.locator(sel('user-models-rfm-cell')).getAttribute('data-cell'), models.rfm_cell)
      for (const score of ['r', 'f', 'm']) {
        const shown = await card.locator(sel(`user-models-${score}-score`)).getAttribute('data-score')
        assert.equal(shown === null ? null : Number(shown), models[`${score}_score`], `${score} score`)
      }
      assert.equal(await card.locator(sel('user-models-pareto-tier')).getAttribute('data-tier'), models.pareto_tier)

      // The AIDEES stage and new/repeat customer: the API's values, labelled.
      assert.equal(await card.getAttribute('data-aidees'), models.aidees)
      assert.equal(await card.getAttribute('data-customer'), models.customer)
      const aidees = card.locator(sel('user-models-aidees'))
      const customer = card.locator(sel('user-models-customer'))
      assert.equal(await aidees.getAttribute('data-stage'), models.aidees)
      assert.equal(await customer.getAttribute('data-customer'), models.customer)
      if (models.aidees) assert.equal((await aidees.innerText()).trim(), AIDEES_LABELS[models.aidees])
      if (models.customer) assert.equal((await customer.innerText()).trim(), CUSTOMER_LABELS[models.customer])
      // Member or not, as the API says.
      assert.ok(['member', 'non_member'].includes(models.member), 'the server says member or not')
      const member = card.locator(sel('user-models-member'))
      assert.equal(await member.getAttribute('data-member'), models.member)
      assert.equal((await member.innerText()).trim(), models.member === 'member' ? '会员' : '非会员')
      // The consumption values, each labelled, in the API's order.
      assert.ok(Array.isArray(models.motivations), 'the server gives the consumption values')
      const motivations = await card
        .locator(sel('user-models-motivation'))
        .evaluateAll((els) => els.map((e) => [e.dataset.motivation, e.textContent.trim()]))
      assert.deepEqual(motivations, models.motivations.map((m) => [m, MOTIVATION_LABELS[m]]))
      await page.locator(sel('lang-en')).click()
      if (models.customer) {
        const english = models.customer === 'new_customer' ? 'New customer' : 'Repeat customer'
        await page.waitForFunction(({ s, text }) => document.querySelector(s)?.textContent.trim() === text, { s: sel('user-models-customer'), text: english })
      }
    })
  })

  test("the user 360 page shows the user's attitudes by category, as the API computes them", async () => {
    await withPage('user-attitudes', async (page) => {
      await logIn(page)
      // A demo user who reviewed something (about a third of completed orders get a review).
      let item = null
      let attitudes = null
      for (const c of await findDemoUsers(page, 40)) {
        const a = await apiGet(page, `/api/v1/users/${c.item.id}/attitudes`)
        if (a.items.length > 0) {
          item = c.item
          attitudes = a
          break
        }
      }
      assert.ok(item, 'a demo user with a review of a category')
      await openUser(page, item.id)
      const card = page.locator(sel('user-attitudes'))
      await card.locator(sel('user-attitude-score')).first().waitFor()
      const rows = await card
        .locator(sel('user-attitude-category'))
        .evaluateAll((els) => els.map((e) => e.dataset.category))
      assert.deepEqual(rows, attitudes.items.map((i) => i.category), 'the categories, highest attitude first')
      const scores = await card.locator(sel('user-attitude-score')).evaluateAll((els) => els.map((e) => Number(e.dataset.score)))
      assert.deepEqual(scores, attitudes.items.map((i) => i.attitude))
      // Each score is the weighted sum of the beliefs shown beside it.
      const beliefs = await card
        .locator(sel('user-attitude-belief'))
        .evaluateAll((els) => els.map((e) => [e.dataset.attribute, e.textContent.trim()]))
      assert.equal(beliefs.length, attitudes.items.length * attitudes.attributes.length)
      attitudes.items.forEach((row, i) => {
        const sum = attitudes.attributes.reduce((acc, a) => acc + (row.beliefs[a.name] ?? 0) * a.weight, 0)
        assert.ok(Math.abs(sum - row.attitude) < 0.05, `A = Σ B·E for ${row.category}`)
        attitudes.attributes.forEach((a, j) => {
          const [name, text] = beliefs[i * attitudes.attributes.length + j]
          assert.equal(name, a.name)
          assert.equal(text, row.beliefs[a.name] === undefined ? '—' : row.beliefs[a.name].toFixed(2))
        })
      })
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
