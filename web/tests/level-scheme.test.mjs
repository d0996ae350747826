// End-to-end test of the level scheme editor (/membership/levels) against a running shopcrm
// server with the demo data (a 5-level scheme, monthly recycling keeping 50%); run like
// console.test.mjs (see web/README.md). A test that saves puts the scheme back as it found
// it, so the files that run later see the demo's levels.

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { BASE_URL, RESULTS_DIR, apiGet, apiPost, logIn, sel, useBrowser, waitForPath, withPage } from './helpers.mjs'

useBrowser()

const RUN = Date.now().toString(36)
const SCHEME = '/api/v1/level-scheme'

/** The form item of a field path the server's errors use (`levels[2].threshold`). */
const field = (name) => `${sel('level-scheme-field')}[data-field="${name}"]`
const inputOf = (page, name) => page.locator(`${field(name)} input`).first()
const valueOf = (page, name) => inputOf(page, name).inputValue()

/** Types into a field's input and leaves it, so an Element Plus number input takes the value. */
async function fill(page, name, value) {
  const input = inputOf(page, name)
  await input.fill(String(value))
  await input.press('Tab')
}

/** Opens the editor directly and waits until it has loaded. */
async function openEditor(page) {
  await page.goto(`${BASE_URL}/membership/levels`)
  await page.locator(`${sel('level-scheme')}[data-loaded="yes"]`).waitFor()
}

/** The part of a scheme PUT takes. */
const specOf = (s) => ({
  levels: s.levels.map(({ name, threshold, benefits }) => ({ name, threshold, benefits })),
  growth_per_yuan: s.growth_per_yuan,
  order_daily_cap: s.order_daily_cap,
  tasks: s.tasks,
  recycle: s.recycle,
})

/** PUT of the scheme with the page's session; returns {status, body}. */
async function putScheme(page, spec) {
  const { csrf_token: csrf } = await apiGet(page, '/api/v1/auth/me')
  const res = await page.request.put(`${BASE_URL}${SCHEME}`, { data: spec, headers: { 'X-CSRF-Token': csrf } })
  return { status: res.status(), body: await res.json() }
}

/** Puts the scheme back as `before` had it, unless it already is. */
async function restore(page, before) {
  const now = await apiGet(page, SCHEME)
  if (JSON.stringify(specOf(now)) === JSON.stringify(specOf(before))) return
  const { status, body } = await putScheme(page, specOf(before))
  assert.equal(status, 200, `restoring the scheme answered ${status}: ${JSON.stringify(body)}`)
}

const waitForPut = (page) =>
  page.waitForResponse((r) => new URL(r.url()).pathname === SCHEME && r.request().method() === 'PUT')

/** Waits until the element's data attribute `key` (camelCase) has `value`. */
async function waitForData(page, selector, key, value) {
  await page.waitForFunction(({ s, key, value }) => document.querySelector(s)?.dataset[key] === value, { s: selector, key, value })
}

/** Waits (a while) until the element shows `text`, then checks it, so a mismatch shows both texts. */
async function assertText(page, selector, text) {
  await page
    .waitForFunction(({ s, text }) => document.querySelector(s)?.textContent?.trim() === text, { s: selector, text }, { timeout: 3000 })
    .catch(() => {})
  assert.equal((await page.locator(selector).innerText()).trim(), text)
}

/** Waits until a field shows the server's message, under it and in its data-error. */
async function assertFieldError(page, name, message) {
  await waitForData(page, field(name), 'error', message)
  // Element Plus shows a form item's error a moment after it is set.
  await page.waitForFunction(({ s, text }) => document.querySelector(s)?.innerText.includes(text), { s: field(name), text: message })
}

async function setLanguage(page, locale) {
  const label = locale === 'en' ? 'Membership' : '会员'
  await page.locator(sel(`lang-${locale}`)).click()
  await page.waitForFunction(({ s, label }) => document.querySelector(s)?.textContent?.trim() === label, { s: sel('nav-membership'), label })
}

/** Types a whole scheme into the editor, which shows 4 levels and no tasks. */
async function fillScheme(page, scheme) {
  const { items: templates } = await apiGet(page, '/api/v1/coupon-templates')
  for (let n = 4; n < scheme.levels.length; n++) await page.locator(sel('level-scheme-add-level')).click()
  for (const [i, l] of scheme.levels.entries()) {
    const b = l.benefits
    await fill(page, `levels[${i}].name`, l.name)
    await fill(page, `levels[${i}].threshold`, l.threshold)
    await fill(page, `levels[${i}].benefits.points_percent`, b.points_percent)
    await fill(page, `levels[${i}].benefits.free_shipping_per_month`, b.free_shipping_per_month)
    await fill(page, `levels[${i}].benefits.birthday_points`, b.birthday_points)
    if (b.priority_service) await page.locator(`${field(`levels[${i}].benefits.priority_service`)} .el-switch`).click()
    for (const key of ['monthly_coupon_template_id', 'birthday_coupon_template_id']) {
      if (!b[key]) continue
      const select = field(`levels[${i}].benefits.${key}`)
      const name = templates.find((x) => x.id === b[key]).name
      await page.locator(`${select} .el-select`).click()
      // This select's own list (another one may still be fading out).
      const list = await page.locator(`${select} input[role="combobox"]`).getAttribute('aria-controls')
      await page.locator(`[id="${list}"] .el-select-dropdown__item`, { hasText: name }).first().click()
      await page.waitForFunction(({ s, name }) => document.querySelector(s)?.innerText.trim() === name, { s: select, name })
    }
  }
  await fill(page, 'growth_per_yuan', scheme.growth_per_yuan)
  await fill(page, 'order_daily_cap', scheme.order_daily_cap)
  for (const [i, task] of scheme.tasks.entries()) {
    await page.locator(sel('level-scheme-add-task')).click()
    await fill(page, `tasks[${i}].task`, task.task)
    await fill(page, `tasks[${i}].amount`, task.amount)
    await fill(page, `tasks[${i}].daily_cap`, task.daily_cap)
  }
  await page.locator(sel(`level-scheme-period-${scheme.recycle.period}`)).click()
  if (scheme.recycle.period !== 'none') await fill(page, 'recycle.keep_percent', scheme.recycle.keep_percent)
}

const PERIOD_END_ZH = { week: '每周末', month: '每月底', quarter: '每季度末', year: '每年底' }

describe('shopcrm console: level scheme', { concurrency: 1 }, () => {
  test('the editor shows the active scheme as GET /api/v1/level-scheme has it', async () => {
    await withPage('level-scheme-show', async (page) => {
      await logIn(page)
      await openEditor(page)
      // The membership section's "levels" tab, its menu item lit.
      await page.locator(`.el-tabs__item.is-active ${sel('membership-tab-levels')}`).waitFor()
      await page.locator(`.el-menu-item.is-active${sel('nav-membership')}`).waitFor()

      const scheme = await apiGet(page, SCHEME)
      const { items: templates } = await apiGet(page, '/api/v1/coupon-templates')
      assert.equal(await page.locator(sel('level-scheme')).getAttribute('data-version'), String(scheme.version))
      const version = (await page.locator(sel('level-scheme-version')).innerText()).trim()
      assert.ok(version.startsWith(`第 ${scheme.version} 版 · ${scheme.created_by} 于 `), version)
      assert.equal(await page.locator(sel('level-scheme-empty')).count(), 0)
      assert.equal(await page.locator(sel('level-scheme-readonly')).count(), 0, 'an admin may edit')

      assert.equal(await page.locator(sel('level-scheme-level')).count(), scheme.levels.length)
      for (const [i, l] of scheme.levels.entries()) {
        assert.equal(await valueOf(page, `levels[${i}].name`), l.name)
        assert.equal(await valueOf(page, `levels[${i}].threshold`), String(l.threshold))
        const b = l.benefits
        assert.equal(await valueOf(page, `levels[${i}].benefits.points_percent`), String(b.points_percent))
        assert.equal(await valueOf(page, `levels[${i}].benefits.free_shipping_per_month`), String(b.free_shipping_per_month))
        assert.equal(await valueOf(page, `levels[${i}].benefits.birthday_points`), String(b.birthday_points))
        const prio = page.locator(`${field(`levels[${i}].benefits.priority_service`)} .el-switch`)
        assert.equal((await prio.getAttribute('class')).includes('is-checked'), b.priority_service, `level ${i + 1} priority service`)
        const monthly = b.monthly_coupon_template_id
        const shown = (await page.locator(field(`levels[${i}].benefits.monthly_coupon_template_id`)).innerText()).trim()
        assert.equal(shown, monthly ? templates.find((x) => x.id === monthly).name : '无', `level ${i + 1} monthly coupon`)
      }
      assert.deepEqual(
        scheme.levels.map((l) => l.name),
        ['普通会员', '白银会员', '黄金会员', '铂金会员', '钻石会员'],
        'the demo scheme',
      )

      assert.equal(await valueOf(page, 'growth_per_yuan'), String(scheme.growth_per_yuan))
      assert.equal(await valueOf(page, 'order_daily_cap'), String(scheme.order_daily_cap))
      assert.ok(scheme.tasks.length > 0, 'the demo scheme has growth tasks')
      for (const [i, task] of scheme.tasks.entries()) {
        assert.equal(await valueOf(page, `tasks[${i}].task`), task.task)
        assert.equal(await valueOf(page, `tasks[${i}].amount`), String(task.amount))
        assert.equal(await valueOf(page, `tasks[${i}].daily_cap`), String(task.daily_cap))
      }
      assert.equal(await page.locator(field(`tasks[${scheme.tasks.length}].task`)).count(), 0)

      assert.equal(await page.locator(sel('level-scheme-period')).getAttribute('data-value'), scheme.recycle.period)
      assert.equal(await valueOf(page, 'recycle.keep_percent'), String(scheme.recycle.keep_percent))
      assert.deepEqual(scheme.recycle, { period: 'month', keep_percent: 50 }, 'the demo recycles monthly, keeping half')
      const preview = sel('level-scheme-recycle-preview')
      await assertText(page, preview, '每月底保留 50% 成长值后重新定级')
      assert.equal(await page.locator(sel('level-scheme')).getAttribute('data-dirty'), 'false')
      await page.screenshot({ path: path.join(RESULTS_DIR, 'level-scheme.png'), fullPage: true })

      await setLanguage(page, 'en')
      await assertText(page, preview, 'At the end of each month, members keep 50% of their growth and are re-levelled')
      const versionEn = (await page.locator(sel('level-scheme-version')).innerText()).trim()
      assert.ok(versionEn.startsWith(`Version ${scheme.version} · saved by ${scheme.created_by} at `), versionEn)
    })
  })

  test('an edited level is saved as a new version that the API then returns', async () => {
    await withPage('level-scheme-save', async (page) => {
      await logIn(page)
      const before = await apiGet(page, SCHEME)
      try {
        await openEditor(page)
        const top = before.levels.length - 1
        const name = `${before.levels[top].name}${RUN}`.slice(0, 32)
        const threshold = before.levels[top].threshold + 1000
        await fill(page, `levels[${top}].name`, name)
        await fill(page, `levels[${top}].threshold`, threshold)
        await fill(page, 'recycle.keep_percent', 60)
        await assertText(page, sel('level-scheme-recycle-preview'), '每月底保留 60% 成长值后重新定级')
        await page.locator(sel('level-scheme-dirty')).waitFor()

        const answered = waitForPut(page)
        await page.locator(sel('level-scheme-save')).click()
        const res = await answered
        assert.equal(res.status(), 200, await res.text())
        const saved = await res.json()
        assert.equal(saved.version, before.version + 1)
        await waitForData(page, sel('level-scheme'), 'version', String(saved.version))
        await page.locator('.el-message--success', { hasText: `已保存为第 ${saved.version} 版` }).waitFor()
        assert.ok((await page.locator(sel('level-scheme-version')).innerText()).startsWith(`第 ${saved.version} 版`))
        await waitForData(page, sel('level-scheme'), 'dirty', 'false')
        assert.equal(await page.locator(sel('level-scheme-save-error')).count(), 0)

        // The API has the edit, and only the edit.
        const after = await apiGet(page, SCHEME)
        assert.equal(after.version, saved.version)
        assert.equal(after.levels[top].name, name)
        assert.equal(after.levels[top].threshold, threshold)
        assert.deepEqual(after.levels[top].benefits, before.levels[top].benefits)
        assert.deepEqual(after.levels.slice(0, top), before.levels.slice(0, top))
        assert.deepEqual(after.tasks, before.tasks)
        assert.deepEqual(after.recycle, { period: before.recycle.period, keep_percent: 60 })

        // Loaded again, the editor shows the saved version.
        await openEditor(page)
        assert.equal(await page.locator(sel('level-scheme')).getAttribute('data-version'), String(saved.version))
        assert.equal(await valueOf(page, `levels[${top}].name`), name)
        assert.equal(await valueOf(page, `levels[${top}].threshold`), String(threshold))
        assert.equal(await valueOf(page, 'recycle.keep_percent'), '60')

        // Put back through the editor: one more version, the demo's levels again.
        await fill(page, `levels[${top}].name`, before.levels[top].name)
        await fill(page, `levels[${top}].threshold`, before.levels[top].threshold)
        await fill(page, 'recycle.keep_percent', before.recycle.keep_percent)
        const again = waitForPut(page)
        await page.locator(sel('level-scheme-save')).click()
        assert.equal((await again).status(), 200)
        await waitForData(page, sel('level-scheme'), 'version', String(before.version + 2))
        const restored = await apiGet(page, SCHEME)
        assert.equal(restored.version, before.version + 2)
        assert.deepEqual(specOf(restored), specOf(before))
      } finally {
        await restore(page, before)
      }
    })
  })

  test('a bad edit shows the server’s error on its cell, keeps what was typed and saves nothing', async () => {
    await withPage('level-scheme-invalid', async (page) => {
      await logIn(page)
      const before = await apiGet(page, SCHEME)
      try {
        await openEditor(page)
        // Level 3 below level 2, a renamed level 3, and a growth task with no amount.
        const low = before.levels[1].threshold - 1
        const name = `黄金${RUN}`
        await fill(page, 'levels[2].threshold', low)
        await fill(page, 'levels[2].name', name)
        await fill(page, 'tasks[0].amount', '')

        const answered = waitForPut(page)
        await page.locator(sel('level-scheme-save')).click()
        const res = await answered
        assert.equal(res.status(), 400)
        const problem = await res.json()
        assert.equal(problem.reason, 'invalid_fields')
        const thresholdError = problem.errors.find((e) => e.field === 'levels[2].threshold')
        assert.equal(thresholdError?.reason, 'not_increasing', JSON.stringify(problem))
        const amountError = problem.errors.find((e) => e.field === 'tasks[0].amount')
        assert.ok(amountError, `the server names tasks[0].amount: ${JSON.stringify(problem)}`)

        await assertFieldError(page, 'levels[2].threshold', thresholdError.detail)
        await assertFieldError(page, 'tasks[0].amount', amountError.detail)
        assert.equal(await page.locator(`${field('levels[2].threshold')}.is-error`).count(), 1)
        assert.equal(await page.locator(field('levels[1].threshold')).getAttribute('data-error'), null, 'the level before is fine')
        assert.equal(await page.locator(sel('level-scheme-save-error')).getAttribute('data-reason'), 'invalid_fields')
        assert.equal(await page.locator(sel('level-scheme-other-error')).count(), 0, 'every error is on its field')

        // The form is as typed; nothing was saved.
        assert.equal(await valueOf(page, 'levels[2].threshold'), String(low))
        assert.equal(await valueOf(page, 'levels[2].name'), name)
        assert.equal(await valueOf(page, 'tasks[0].amount'), '')
        assert.equal(await page.locator(sel('level-scheme')).getAttribute('data-version'), String(before.version))
        assert.equal(await page.locator(sel('level-scheme')).getAttribute('data-dirty'), 'true')
        const after = await apiGet(page, SCHEME)
        assert.equal(after.version, before.version)
        assert.deepEqual(specOf(after), specOf(before))
        await page.screenshot({ path: path.join(RESULTS_DIR, 'level-scheme-errors.png'), fullPage: true })

        // Discarding the changes brings back the saved scheme, without the errors.
        await page.locator(sel('level-scheme-reset')).click()
        await waitForData(page, sel('level-scheme'), 'dirty', 'false')
        assert.equal(await valueOf(page, 'levels[2].threshold'), String(before.levels[2].threshold))
        assert.equal(await valueOf(page, 'levels[2].name'), before.levels[2].name)
        assert.equal(await valueOf(page, 'tasks[0].amount'), String(before.tasks[0].amount))
        assert.equal(await page.locator(field('levels[2].threshold')).getAttribute('data-error'), null)
        assert.equal(await page.locator(sel('level-scheme-save-error')).count(), 0)
      } finally {
        await restore(page, before)
      }
    })
  })

  test('levels are added up to 7 and removed down to 4, and the recycling rule is put in words as edited', async () => {
    await withPage('level-scheme-draft', async (page) => {
      await logIn(page)
      const before = await apiGet(page, SCHEME)
      await openEditor(page)
      const rows = page.locator(sel('level-scheme-level'))
      const add = page.locator(sel('level-scheme-add-level'))
      const remove = page.locator(sel('level-scheme-remove-level'))

      for (let n = before.levels.length; n < 7; n++) await add.click()
      assert.equal(await rows.count(), 7)
      assert.ok(await add.isDisabled(), 'at most 7 levels')
      assert.equal(await valueOf(page, 'levels[6].name'), '', 'a new level starts empty')
      assert.equal(await valueOf(page, 'levels[6].threshold'), '')
      await page.locator(`${sel('level-scheme-level')}[data-index="6"]`).waitFor()
      for (let n = 7; n > 4; n--) await remove.click()
      assert.equal(await rows.count(), 4)
      assert.ok(await remove.isDisabled(), 'at least 4 levels')
      assert.ok(!(await add.isDisabled()))

      // Growth tasks are added and removed too.
      const tasks = before.tasks.length
      await page.locator(sel('level-scheme-add-task')).click()
      await page.locator(field(`tasks[${tasks}].task`)).waitFor()
      await page.locator(`${sel('level-scheme-remove-task')}[data-index="${tasks}"]`).click()
      assert.equal(await page.locator(field(`tasks[${tasks}].task`)).count(), 0)

      const preview = sel('level-scheme-recycle-preview')
      await page.locator(sel('level-scheme-period-week')).click()
      await fill(page, 'recycle.keep_percent', 0)
      await assertText(page, preview, `${PERIOD_END_ZH.week}清空成长值后重新定级`)
      await fill(page, 'recycle.keep_percent', 30)
      await assertText(page, preview, `${PERIOD_END_ZH.week}保留 30% 成长值后重新定级`)
      await page.locator(sel('level-scheme-period-year')).click()
      await assertText(page, preview, `${PERIOD_END_ZH.year}保留 30% 成长值后重新定级`)
      await page.locator(sel('level-scheme-period-none')).click()
      await assertText(page, preview, '成长值不回收，一直累计，等级只升不降')
      assert.ok(await inputOf(page, 'recycle.keep_percent').isDisabled(), 'nothing to keep without recycling')

      await setLanguage(page, 'en')
      await assertText(page, preview, 'Growth is never recycled: it keeps adding up and levels only go up')
      await page.locator(sel('level-scheme-period-quarter')).click()
      await assertText(page, preview, 'At the end of each quarter, members keep 30% of their growth and are re-levelled')
      await fill(page, 'recycle.keep_percent', 0)
      await assertText(page, preview, "At the end of each quarter, members' growth is cleared and they are re-levelled")

      // None of it was saved.
      assert.equal((await apiGet(page, SCHEME)).version, before.version)
      await page.locator(sel('level-scheme-reset')).click()
      await waitForData(page, sel('level-scheme'), 'dirty', 'false')
      assert.equal(await rows.count(), before.levels.length)
    })
  })

  test('with no scheme saved yet, the editor starts from an empty 4-level draft, which saves once filled in', async () => {
    await withPage('level-scheme-draft-new', async (page) => {
      await logIn(page)
      const before = await apiGet(page, SCHEME)
      // The demo has a scheme: the editor is shown the server's answer for a database without one.
      await page.route(`${BASE_URL}${SCHEME}`, (route) =>
        route.request().method() === 'GET'
          ? route.fulfill({
              status: 404,
              contentType: 'application/problem+json',
              body: JSON.stringify({
                type: 'about:blank',
                title: 'Not Found',
                status: 404,
                detail: 'no level scheme has been set up yet',
                reason: 'no_level_scheme',
              }),
            })
          : route.fallback(),
      )
      try {
        await openEditor(page)
        await page.locator(sel('level-scheme-empty')).waitFor()
        assert.equal(await page.locator(sel('level-scheme-version')).count(), 0)
        assert.equal(await page.locator(sel('level-scheme')).getAttribute('data-version'), '')
        assert.equal(await page.locator(sel('level-scheme-level')).count(), 4)
        assert.equal(await valueOf(page, 'levels[0].threshold'), '0')
        assert.equal(await valueOf(page, 'levels[3].name'), '')
        assert.ok(await page.locator(sel('level-scheme-remove-level')).isDisabled())
        await assertText(page, sel('level-scheme-recycle-preview'), '成长值不回收，一直累计，等级只升不降')

        // Saved empty, the server names every missing name and threshold.
        const refused = waitForPut(page)
        await page.locator(sel('level-scheme-save')).click()
        const problem = await (await refused).json()
        for (const f of ['levels[0].name', 'levels[3].name', 'levels[1].threshold', 'levels[3].threshold']) {
          const e = problem.errors.find((x) => x.field === f)
          assert.ok(e, `the server names ${f}: ${JSON.stringify(problem)}`)
          await assertFieldError(page, f, e.detail)
        }

        // Filled in as the active scheme, field by field, it saves as the same scheme: nothing
        // changes for the tests that run later but the version.
        await fillScheme(page, before)
        const answered = waitForPut(page)
        await page.locator(sel('level-scheme-save')).click()
        const res = await answered
        assert.equal(res.status(), 200, await res.text())
        const saved = await res.json()
        assert.equal(saved.version, before.version + 1)
        await page.locator(sel('level-scheme-version')).waitFor()
        assert.equal(await page.locator(sel('level-scheme-empty')).count(), 0)
        await waitForData(page, sel('level-scheme'), 'dirty', 'false')
        await page.unroute(`${BASE_URL}${SCHEME}`)
        const after = await apiGet(page, SCHEME)
        assert.equal(after.version, saved.version)
        assert.deepEqual(specOf(after), specOf(before))
      } finally {
        await page.unroute(`${BASE_URL}${SCHEME}`)
        await restore(page, before)
      }
    })
  })

  test('an analyst sees the scheme read-only', async () => {
    await withPage('level-scheme-analyst', async (page) => {
      await logIn(page)
      const scheme = await apiGet(page, SCHEME)
      const username = `ls_analyst_${RUN}`
      const password = `read-only-${RUN}-pass`
      const { status, body } = await apiPost(page, '/api/v1/console-users', { username, password, role: 'analyst' })
      assert.equal(status, 201, JSON.stringify(body))

      await page.context().clearCookies()
      await page.goto(`${BASE_URL}/login`)
      await page.locator(sel('login-username')).fill(username)
      await page.locator(sel('login-password')).fill(password)
      await page.locator(sel('login-submit')).click()
      await waitForPath(page, '/')

      await openEditor(page)
      await page.locator(sel('level-scheme-readonly')).waitFor()
      assert.equal(await page.locator(sel('level-scheme')).getAttribute('data-version'), String(scheme.version))
      assert.equal(await valueOf(page, 'levels[0].name'), scheme.levels[0].name)
      assert.ok(await inputOf(page, 'levels[0].name').isDisabled(), 'the levels cannot be edited')
      assert.ok(await inputOf(page, 'growth_per_yuan').isDisabled())
      for (const button of ['level-scheme-save', 'level-scheme-reset', 'level-scheme-add-level', 'level-scheme-remove-level', 'level-scheme-add-task']) {
        assert.equal(await page.locator(sel(button)).count(), 0, `no ${button}`)
      }
      // The server agrees.
      const { status: putStatus } = await putScheme(page, specOf(scheme))
      assert.equal(putStatus, 403)
    })
  })
})
