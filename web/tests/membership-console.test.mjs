// End-to-end tests of the console's membership section (/membership/…) against a running
// shopcrm server with the demo data; run like console.test.mjs (see web/README.md). Each
// test checks the page against the API, and what it creates is named with the run's stamp.

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { BASE_URL, RESULTS_DIR, apiGet, logIn, sel, useBrowser, withPage } from './helpers.mjs'

useBrowser()

const RUN = Date.now().toString(36)

async function openTab(page, tab) {
  await page.goto(`${BASE_URL}/membership/${tab}`)
  await page.locator(sel(`membership-tab-${tab}`)).waitFor()
}

const texts = (page, name) => page.locator(sel(name)).allInnerTexts().then((all) => all.map((x) => x.trim()))
const attrs = (page, name, attr) => page.locator(sel(name)).evaluateAll((els, a) => els.map((e) => e.getAttribute(a)), attr)

/** Picks `label` in the Element Plus select whose trigger has data-test `name`. */
async function choose(page, name, label) {
  await page.locator(sel(name)).click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: label }).first().click()
}

describe('membership console', () => {
  test('the members tab lists the members the API has and filters by paid status', async () => {
    await withPage('membership-members', async (page) => {
      await logIn(page)
      await page.locator(sel('nav-membership')).click()
      await page.waitForURL((url) => url.pathname === '/membership/members')
      await page.locator(`${sel('members-user')}`).first().waitFor()
      const all = await apiGet(page, '/api/v1/membership/members?limit=20')
      assert.deepEqual(await attrs(page, 'members-user', 'data-id'), all.items.map((m) => m.user_id))
      assert.deepEqual(await attrs(page, 'members-points', 'data-available'), all.items.map((m) => String(m.points.available)))
      assert.deepEqual(await attrs(page, 'members-balance', 'data-balance'), all.items.map((m) => m.balance))

      const active = await apiGet(page, '/api/v1/membership/members?limit=20&paid=active')
      assert.ok(active.items.length > 0, 'the demo has paid members')
      await choose(page, 'members-paid', '生效中')
      await page.waitForFunction(
        (n) => document.querySelectorAll('[data-test="members-paid-status"]').length === n &&
          [...document.querySelectorAll('[data-test="members-paid-status"]')].every((e) => e.dataset.status === 'active'),
        active.items.length,
      )
      assert.deepEqual(await attrs(page, 'members-user', 'data-id'), active.items.map((m) => m.user_id))
      await page.screenshot({ path: path.join(RESULTS_DIR, 'membership-members.png'), fullPage: true })
    })
  })

  test('the metrics tab shows penetration, conversion, renewal and retention as the API has them', async () => {
    await withPage('membership-metrics', async (page) => {
      await logIn(page)
      await openTab(page, 'metrics')
      const { items } = await apiGet(page, '/api/v1/membership/metrics')
      assert.equal(items.length, 12)
      await page.locator(`${sel('membership-metrics')}[data-months="12"]`).waitFor()
      await page.locator(`${sel('metrics-chart')} canvas`).waitFor()
      const last = items[items.length - 1]
      assert.ok(last.members > 0 && last.penetration > 0, 'the demo has members this month')
      assert.equal(
        (await page.locator(sel('metrics-latest-penetration')).innerText()).trim(),
        `${(last.penetration * 100).toFixed(1)}%`,
      )
      assert.deepEqual(
        await texts(page, 'metrics-penetration'),
        items.map((m) => `${(m.penetration * 100).toFixed(1)}%`),
      )
      await page.screenshot({ path: path.join(RESULTS_DIR, 'membership-metrics.png'), fullPage: true })
    })
  })

  test('an operator adds a recharge plan (a bad amount named first) and archives a paid plan', async () => {
    await withPage('membership-plans', async (page) => {
      await logIn(page)
      await openTab(page, 'plans')
      await page.locator(sel('recharge-plan-name')).first().waitFor()
      const name = `充 300 送 30 ${RUN}`
      await page.locator(sel('recharge-plan-new')).click()
      await page.locator(sel('recharge-plan-form-name')).fill(name)
      await page.locator(sel('recharge-plan-form-pay')).fill('three hundred')
      await page.locator(sel('recharge-plan-submit')).click()
      await page.locator('.el-form-item__error:visible').first().waitFor()
      await page.locator(sel('recharge-plan-form-pay')).fill('300.00')
      await page.locator(sel('recharge-plan-form-bonus')).fill('30.00')
      await page.locator(sel('recharge-plan-submit')).click()
      await page.locator(`${sel('recharge-plan-name')}:text-is("${name}")`).waitFor()
      const plans = (await apiGet(page, '/api/v1/recharge-plans')).items
      const made = plans.find((p) => p.name === name)
      assert.deepEqual([made.pay, made.bonus, made.status], ['300.00', '30.00', 'active'])

      // A paid plan of its own, then archived.
      const paidName = `季卡 ${RUN}`
      await page.locator(sel('paid-plan-new')).click()
      await page.locator(sel('paid-plan-form-name')).fill(paidName)
      await page.locator(sel('paid-plan-form-price')).fill('39.00')
      await page.locator(sel('paid-plan-submit')).click()
      const row = page.locator('[data-test="paid-plans"] tr', { hasText: paidName })
      await row.waitFor()
      await row.locator(sel('paid-plan-archive')).click()
      await page.locator(sel('paid-plan-archive-confirm')).click()
      await row.locator(`${sel('paid-plan-status')}[data-status="archived"]`).waitFor()
      const paid = (await apiGet(page, '/api/v1/paid-plans')).items.find((p) => p.name === paidName)
      assert.equal(paid.status, 'archived')
    })
  })

  test('a points-mall item added in the console is on sale, and archived is not', async () => {
    await withPage('membership-mall', async (page) => {
      await logIn(page)
      await openTab(page, 'mall')
      await page.locator(sel('mall-item-name')).first().waitFor()
      const api = (await apiGet(page, '/api/v1/points-mall/items')).items
      assert.deepEqual(await texts(page, 'mall-item-name'), api.map((i) => i.name))
      const name = `保温杯 ${RUN}`
      await page.locator(sel('mall-item-new')).click()
      await page.locator(sel('mall-item-form-name')).fill(name)
      await choose(page, 'mall-item-form-kind', '实物')
      await page.locator(sel('mall-item-form-price')).locator('input').fill('1200')
      await page.locator(sel('mall-item-submit')).click()
      const row = page.locator('[data-test="mall-items"] tr', { hasText: name })
      await row.waitFor()
      const item = (await apiGet(page, '/api/v1/points-mall/items')).items.find((i) => i.name === name)
      assert.deepEqual([item.kind, item.points_price, item.status], ['goods', 1200, 'active'])
      await row.locator(sel('mall-item-archive')).click()
      await page.locator(sel('mall-item-archive-confirm')).click()
      await row.locator(`${sel('mall-item-status')}[data-status="archived"]`).waitFor()
    })
  })

  test('an operator changes the points rules, which apply as the API then says, and adds a task and a medal', async () => {
    await withPage('membership-tasks', async (page) => {
      await logIn(page)
      await openTab(page, 'tasks')
      const before = await apiGet(page, '/api/v1/membership/settings')
      const points = page.locator(sel('rules-check-in-points')).locator('input')
      assert.equal(await points.inputValue(), String(before.check_in.points))
      assert.equal(await page.locator(sel('rules-make-ups')).locator('input').inputValue(), String(before.check_in.make_ups_per_month))
      await points.fill(String(before.check_in.points + 3))
      await page.locator(sel('rules-save')).click()
      await page.locator(`${sel('rules-version')}[data-version="${before.version + 1}"]`).waitFor()
      const after = await apiGet(page, '/api/v1/membership/settings')
      assert.equal(after.check_in.points, before.check_in.points + 3)
      assert.deepEqual(after.orders, before.orders, 'the rest stays')
      // Back as they were, for the tests that follow.
      const { csrf_token: csrf } = await apiGet(page, '/api/v1/auth/me')
      const restored = await page.request.put(`${BASE_URL}/api/v1/membership/settings`, {
        data: { check_in: { points: before.check_in.points } },
        headers: { 'X-CSRF-Token': csrf },
      })
      assert.equal(restored.status(), 200)

      const code = `review_${RUN}`
      await page.locator(sel('task-new')).click()
      await page.locator(sel('task-form-code')).fill('Not A Code')
      await page.locator(sel('task-form-name')).fill(`晒单 ${RUN}`)
      await page.locator(sel('task-submit')).click()
      await page.locator('.el-form-item__error:visible').first().waitFor()
      await page.locator(sel('task-form-code')).fill(code)
      await page.locator(sel('task-submit')).click()
      await page.locator(`${sel('task-name')}:text-is("晒单 ${RUN}")`).waitFor()
      assert.ok((await apiGet(page, '/api/v1/member-tasks')).items.some((x) => x.code === code))

      await page.locator(sel('medal-new')).click()
      await page.locator(sel('medal-form-code')).fill(`streak30_${RUN}`)
      await page.locator(sel('medal-form-name')).fill(`月度坚持 ${RUN}`)
      await choose(page, 'medal-form-metric', '最长连续签到天数')
      await page.locator(sel('medal-form-threshold')).locator('input').fill('30')
      await page.locator(sel('medal-submit')).click()
      const row = page.locator('[data-test="medals"] tr', { hasText: `月度坚持 ${RUN}` })
      await row.waitFor()
      assert.equal((await row.locator(sel('medal-rule')).innerText()).trim(), '最长连续签到天数 ≥ 30')
      const medal = (await apiGet(page, '/api/v1/medals')).items.find((m) => m.code === `streak30_${RUN}`)
      assert.deepEqual([medal.metric, medal.threshold], ['check_in_streak', 30])
    })
  })

  test('giving this month’s member coupons from the plans tab reports the run as the API has it', async () => {
    await withPage('membership-benefit-runs', async (page) => {
      await logIn(page)
      await openTab(page, 'plans')
      await page.locator(sel('benefit-run-monthly')).click()
      await page.locator('.el-message--success').waitFor()
      const runs = (await apiGet(page, '/api/v1/benefit-runs')).items
      const monthly = runs.find((r) => r.kind === 'monthly')
      assert.equal(monthly.status, 'finished')
      const shown = await texts(page, 'benefit-run-granted')
      assert.equal(shown[runs.indexOf(monthly)], String(monthly.granted))
    })
  })
})
