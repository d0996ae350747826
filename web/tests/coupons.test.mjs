// End-to-end test of the coupon pages (templates, editor, detail with grants, code batches
// and checkout preview, the 360 page's wallet) against a running shopcrm server; run like
// console.test.mjs (see web/README.md). Every test makes its own templates, named with the
// run's stamp, so the tests do not depend on each other or on what ran before.

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { BASE_URL, RESULTS_DIR, apiGet, apiPost, logIn, openUser, sel, useBrowser, waitForPath, withPage } from './helpers.mjs'

useBrowser()

const RUN = Date.now().toString(36)
/** Datetimes in rules are shown in the browser's time zone: pin it. */
const SHANGHAI = { timezoneId: 'Asia/Shanghai' }

/** POST /api/v1/coupon-templates; fails the test unless the server creates it. */
async function createTemplate(page, spec) {
  const { status, body } = await apiPost(page, '/api/v1/coupon-templates', spec)
  assert.equal(status, 201, `create ${spec.name} answered ${status}: ${JSON.stringify(body)}`)
  return body
}

/** A threshold coupon: `discount` off from `min`, usable for 7 days. */
const thresholdSpec = (name, min = '100', discount = '20') => ({
  name,
  terms: { kind: 'threshold', min_amount: min, discount },
  validity: { use_days: 7 },
})

/**
 * Users with a name who are neither bare nor erased, from the 40th on of the first page
 * (the console test takes its users, and erases one, from the start of the list).
 */
async function pickUsers(page, count, skip = 0) {
  const { items } = await apiGet(page, '/api/v1/users?limit=100')
  const ok = items.slice(40).filter((u) => u.name && !u.is_bare && !u.erased)
  assert.ok(ok.length >= skip + count, `the demo data has ${skip + count} more users`)
  return ok.slice(skip, skip + count)
}

const textOf = async (locator) => (await locator.innerText()).trim()

/** Waits until the element's data attribute `key` (camelCase) has `value`. */
async function waitForData(page, selector, key, value) {
  await page.waitForFunction(({ s, key, value }) => document.querySelector(s)?.dataset[key] === value, { s: selector, key, value })
}

/** Waits (a while) until the element shows `text`, then checks it, so a mismatch shows both texts. */
async function assertText(page, selector, text) {
  await page
    .waitForFunction(({ s, text }) => document.querySelector(s)?.textContent?.trim() === text, { s: selector, text }, { timeout: 3000 })
    .catch(() => {})
  assert.equal(await textOf(page.locator(selector)), text)
}

/** Waits until the list's row of a template shows the status. */
async function waitForRowStatus(page, id, status) {
  await page.waitForFunction(
    ({ id, status }) =>
      document
        .querySelector(`[data-test="coupon-row"][data-template-id="${id}"]`)
        ?.closest('tr')
        ?.querySelector('[data-test="coupon-row-status"]')?.dataset.status === status,
    { id, status },
  )
}

/** The form item of a spec path (`terms.discount`) in the template editor. */
const item = (field) => `${sel('coupon-item')}[data-field="${field}"]`

async function setLanguage(page, locale, navKey = 'nav-coupons', label = locale === 'en' ? 'Coupons' : '优惠券') {
  await page.locator(sel(`lang-${locale}`)).click()
  await page.waitForFunction(({ s, label }) => document.querySelector(s)?.textContent?.trim() === label, { s: sel(navKey), label })
}

/** Types into an Element Plus number input and leaves it, so it takes the value. */
async function fillNumber(page, name, value) {
  const input = page.locator(`${sel(name)} input`)
  await input.fill(String(value))
  await input.press('Tab')
}

describe('shopcrm console: coupons', { concurrency: 1 }, () => {
  test('the editor shows a server field error, then creates the template the list shows', async () => {
    await withPage('coupon-editor', async (page) => {
      await logIn(page)
      await page.locator(sel('nav-coupons')).click()
      await waitForPath(page, '/coupons')
      await page.locator(sel('coupon-list')).waitFor()
      assert.equal(await page.locator(sel('coming-soon')).count(), 0, 'no longer a placeholder')

      await page.locator(sel('coupon-new')).click()
      await waitForPath(page, '/coupons/new')
      await page.locator(sel('coupon-editor')).waitFor()

      const name = `满减 ${RUN}`
      await page.locator(sel('coupon-name')).fill(name)
      await page.locator(sel('coupon-min-amount')).fill('10')
      await page.locator(sel('coupon-discount')).fill('20')
      await fillNumber(page, 'coupon-per-user-daily', 1)
      await fillNumber(page, 'coupon-per-user-total', 2)
      await fillNumber(page, 'coupon-stock', 10000)
      const preview = sel('coupon-rule-preview')
      await assertText(page, preview, '满 10.00 减 20.00，平台出资；每人每天限领 1 张，共 2 张；库存 10000 张；领取后 7 天内有效')

      // Only the kind's fields are shown: a percent coupon has a percentage, a random one a range.
      assert.equal(await page.locator(item('terms.percent_off')).count(), 0)
      await page.locator(sel('coupon-kind-percent')).click()
      await page.locator(item('terms.percent_off')).waitFor()
      await page.locator(sel('coupon-kind-random_red_packet')).click()
      await page.locator(item('terms.random_max')).waitFor()
      assert.equal(await page.locator(item('terms.discount')).count(), 0, 'a random red packet has no fixed amount')
      await page.locator(sel('coupon-kind-threshold')).click()
      await page.locator(item('terms.discount')).waitFor()

      // 满 10 减 20: the server refuses it on terms.min_amount, and the editor shows its words there.
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/coupon-templates' && r.request().method() === 'POST')
      await page.locator(sel('coupon-save')).click()
      const refused = await answered
      assert.equal(refused.status(), 400)
      const problem = await refused.json()
      const minError = problem.errors.find((e) => e.field === 'terms.min_amount')
      assert.ok(minError, `the server names terms.min_amount: ${JSON.stringify(problem)}`)
      await page.waitForFunction((s) => !!document.querySelector(s)?.dataset.error, item('terms.min_amount'))
      assert.equal(await page.locator(item('terms.min_amount')).getAttribute('data-error'), minError.detail)
      // Element Plus shows a form item's error a moment after it is set.
      await page.waitForFunction(({ s, text }) => document.querySelector(s)?.innerText.includes(text), { s: item('terms.min_amount'), text: minError.detail })
      assert.equal(await page.locator(sel('coupon-save-error')).getAttribute('data-reason'), problem.reason)
      assert.equal(new URL(page.url()).pathname, '/coupons/new')

      // Fixed: the rule in words in both languages, then saved.
      await page.locator(sel('coupon-min-amount')).fill('100')
      await assertText(page, preview, '满 100.00 减 20.00，平台出资；每人每天限领 1 张，共 2 张；库存 10000 张；领取后 7 天内有效')
      await setLanguage(page, 'en')
      await assertText(
        page,
        preview,
        '20.00 off orders of 100.00 or more, paid by the platform; 1 per user per day, 2 in total; 10,000 in stock; valid for 7 days after claiming',
      )
      await setLanguage(page, 'zh-CN')

      const created = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/coupon-templates' && r.request().method() === 'POST')
      await page.locator(sel('coupon-save')).click()
      const res = await created
      assert.equal(res.status(), 201)
      const tpl = await res.json()
      assert.deepEqual(tpl.limits, { stock: 10000, budget: null, per_user_daily: 1, per_user_total: 2 })
      assert.equal(tpl.terms.min_amount, '100.00')
      assert.equal(tpl.terms.discount, '20.00')
      assert.equal(tpl.validity.use_days, 7)
      await waitForPath(page, `/coupons/${tpl.id}`)
      await waitForData(page, sel('coupon-detail'), 'status', 'active')
      assert.equal(await textOf(page.locator(sel('coupon-title'))), name)
      await assertText(page, sel('coupon-rule-preview'), '满 100.00 减 20.00，平台出资；每人每天限领 1 张，共 2 张；库存 10000 张；领取后 7 天内有效')
      await page.locator(`${sel('coupon-figures-chart')} canvas`).waitFor()
      await page.waitForTimeout(600) // let the bars grow for the picture
      await page.screenshot({ path: path.join(RESULTS_DIR, 'coupon-detail.png'), fullPage: true })

      // The list shows it with the API's figures.
      await page.locator(sel('coupon-back')).click()
      await waitForPath(page, '/coupons')
      const row = page.locator(`${sel('coupon-row')}[data-template-id="${tpl.id}"]`)
      await row.waitFor()
      const listed = (await apiGet(page, '/api/v1/coupon-templates')).items.find((x) => x.id === tpl.id)
      assert.ok(listed, 'the API lists it')
      assert.equal(await textOf(row.locator(sel('coupon-row-name'))), name)
      assert.equal(await textOf(row.locator(sel('coupon-row-rule'))), '满 100.00 减 20.00，平台出资；每人每天限领 1 张，共 2 张；库存 10000 张；领取后 7 天内有效')
      const tr = page.locator('tr', { has: row })
      assert.equal(await tr.locator(sel('coupon-row-kind')).getAttribute('data-kind'), 'threshold')
      assert.equal(await textOf(tr.locator(sel('coupon-row-kind'))), '满减券')
      assert.equal(await tr.locator(sel('coupon-row-status')).getAttribute('data-status'), 'active')
      assert.equal(await textOf(tr.locator(sel('coupon-row-version'))), 'v1')
      assert.equal(await textOf(tr.locator(sel('coupon-row-stock'))), `${listed.stats.stock_left.toLocaleString('en')} / 10,000`)
      assert.equal(await textOf(tr.locator(sel('coupon-row-issued'))), String(listed.stats.issued))
      assert.equal(await textOf(tr.locator(sel('coupon-row-used'))), String(listed.stats.used))
      assert.equal(await textOf(tr.locator(sel('coupon-row-rate'))), '0.0%')
      await page.screenshot({ path: path.join(RESULTS_DIR, 'coupon-list.png'), fullPage: true })
    })
  })

  test('the rule is put in words for every kind, in Chinese and English, and the editor loads it back', async () => {
    await withPage('coupon-rules', async (page) => {
      await logIn(page)
      // spec, Chinese words, English words (times in Asia/Shanghai)
      const cases = [
        [
          {
            name: `折扣 ${RUN}`,
            terms: {
              kind: 'percent',
              funding: 'store',
              store_id: 'S001',
              min_amount: '50',
              percent_off: 15,
              discount: '30',
              skus: { include: [], exclude: ['SKU-9'] },
              cities: { include: ['上海', '北京'], exclude: [] },
              exclusive: true,
              platform_share_percent: 40,
              return_on_refund: false,
            },
            limits: { per_user_total: 1, budget: '5000' },
            validity: {
              claim_start: '2030-01-01T00:00:00+08:00',
              claim_end: '2030-02-01T00:00:00Z',
              use_start: '2030-01-01T00:00:00+08:00',
              use_end: '2030-03-01T00:00:00+08:00',
            },
          },
          '满 50.00 打 8.5 折，最多减 30.00，店铺 S001 出资，平台承担 40%，店铺承担 60%；不含 SKU SKU-9，仅限城市 上海、北京；' +
            '不可与其他优惠券同时使用，退款后不退券；每人限领 1 张；预算 5000.00；领取时间 2030-01-01 00:00 至 2030-02-01 08:00；' +
            '使用时间 2030-01-01 00:00 至 2030-03-01 00:00',
          '15% off orders of 50.00 or more, at most 30.00 off, paid by store S001, the platform bears 40%, the store 60%; ' +
            'not for SKUs SKU-9, only for cities 上海, 北京; cannot be combined with other coupons, not returned on refund; 1 per user; ' +
            'budget 5,000.00; claimable from 2030-01-01 00:00 to 2030-02-01 08:00; usable from 2030-01-01 00:00 to 2030-03-01 00:00',
        ],
        [
          {
            name: `随机红包 ${RUN}`,
            terms: { kind: 'random_red_packet', random_min: '1', random_max: '8.8', distribution: 'low_skew' },
            limits: { stock: 500, budget: '1000' },
            validity: { use_days: 1 },
          },
          '随机立减 1.00～8.80，多为小额，平台出资；库存 500 张，预算 1000.00；领取后 1 天内有效',
          'a random 1.00–8.80 off, mostly low amounts, paid by the platform; 500 in stock, budget 1,000.00; valid for 1 day after claiming',
        ],
        [
          {
            name: `免邮 ${RUN}`,
            terms: { kind: 'free_shipping', min_amount: '99' },
            limits: { per_user_daily: 1 },
            validity: { claim_end: '2030-06-01T00:00:00+08:00', use_days: 30 },
          },
          '满 99.00 免运费，平台出资；每人每天限领 1 张；2030-06-01 00:00 前可领取；领取后 30 天内有效',
          'free shipping on orders of 99.00 or more, paid by the platform; 1 per user per day; claimable until 2030-06-01 00:00; valid for 30 days after claiming',
        ],
        [
          { name: `红包 ${RUN}`, terms: { kind: 'red_packet', discount: '5' }, validity: { use_days: 3 } },
          '无门槛立减 5.00，平台出资；领取后 3 天内有效',
          '5.00 off, no minimum, paid by the platform; valid for 3 days after claiming',
        ],
      ]
      const templates = []
      for (const [spec] of cases) templates.push(await createTemplate(page, spec))

      await page.goto(`${BASE_URL}/coupons`)
      const ruleOf = (id) => `${sel('coupon-row')}[data-template-id="${id}"] ${sel('coupon-row-rule')}`
      for (const [i, [, zh]] of cases.entries()) {
        await page.locator(ruleOf(templates[i].id)).waitFor()
        await assertText(page, ruleOf(templates[i].id), zh)
      }
      await setLanguage(page, 'en')
      for (const [i, [, , en]] of cases.entries()) await assertText(page, ruleOf(templates[i].id), en)

      // The editor loads the percent coupon into its fields and words it the same way; a change
      // of terms announces the next version.
      await page.goto(`${BASE_URL}/coupons/${templates[0].id}/edit`)
      await waitForData(page, sel('coupon-editor'), 'templateId', templates[0].id)
      const preview = sel('coupon-rule-preview')
      await page.locator(preview).waitFor()
      await assertText(page, preview, cases[0][2])
      assert.equal(await page.locator(sel('coupon-store-id')).inputValue(), 'S001')
      assert.equal(await page.locator(`${sel('coupon-percent-off')} input`).inputValue(), '15')
      const note = page.locator(sel('coupon-version-note'))
      assert.equal(await note.getAttribute('data-terms-changed'), 'false')
      await page.screenshot({ path: path.join(RESULTS_DIR, 'coupon-editor.png'), fullPage: true })
      await fillNumber(page, 'coupon-percent-off', 20)
      await waitForData(page, sel('coupon-version-note'), 'termsChanged', 'true')
      assert.ok((await textOf(page.locator(preview))).startsWith('20% off orders of 50.00 or more'))
      const saved = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/coupon-templates/${templates[0].id}` && r.request().method() === 'PUT')
      await page.locator(sel('coupon-save')).click()
      const res = await saved
      assert.equal(res.status(), 200, await res.text())
      assert.equal((await res.json()).version, 2, 'changed terms make version 2')
      await waitForPath(page, `/coupons/${templates[0].id}`)
      await waitForData(page, sel('coupon-detail'), 'version', '2')
    }, SHANGHAI)
  })

  test('pauses, resumes and ends a template from the list', async () => {
    await withPage('coupon-status', async (page) => {
      await logIn(page)
      const tpl = await createTemplate(page, thresholdSpec(`暂停 ${RUN}`))
      await page.goto(`${BASE_URL}/coupons`)
      const row = page.locator('tr', { has: page.locator(`${sel('coupon-row')}[data-template-id="${tpl.id}"]`) })
      const status = row.locator(sel('coupon-row-status'))
      await status.waitFor()
      const serverStatus = async () => (await apiGet(page, `/api/v1/coupon-templates/${tpl.id}`)).status

      await row.locator(sel('coupon-pause')).click()
      await waitForRowStatus(page, tpl.id, 'paused')
      assert.equal(await textOf(status), '已暂停')
      assert.equal(await serverStatus(), 'paused')

      await row.locator(sel('coupon-resume')).click()
      await waitForRowStatus(page, tpl.id, 'active')
      assert.equal(await serverStatus(), 'active')

      await row.locator(sel('coupon-end')).click()
      await page.locator(`${sel('coupon-end-confirm')}:visible`).click()
      await waitForRowStatus(page, tpl.id, 'ended')
      assert.equal(await serverStatus(), 'ended')
      assert.equal(await row.locator(sel('coupon-edit')).count(), 0, 'an ended template cannot be edited')
      assert.equal(await row.locator(sel('coupon-resume')).count(), 0, 'nor resumed')
    })
  })

  test('grants to one user, shows a refusal, the wallet on the 360 page and the checkout preview', async () => {
    await withPage('coupon-grant', async (page) => {
      await logIn(page)
      const tpl = await createTemplate(page, thresholdSpec(`发放 ${RUN}`))
      const [user] = await pickUsers(page, 1)

      await page.goto(`${BASE_URL}/coupons/${tpl.id}`)
      await page.locator(sel('coupon-grant')).waitFor()
      await page.locator(sel('coupon-grant-user')).fill(user.id)
      await page.locator(sel('coupon-grant-channel')).fill('sms')
      await page.locator(sel('coupon-grant-submit')).click()
      const result = page.locator(sel('coupon-grant-result'))
      await result.waitFor()
      assert.equal(await result.getAttribute('data-user-id'), user.id)
      const couponId = await result.getAttribute('data-coupon-id')
      await waitForData(page, sel('coupon-figures'), 'issued', '1')

      // The same grant again within a week: refused, and the reason is put in words.
      await page.locator(sel('coupon-grant-submit')).click()
      const refusal = page.locator(sel('coupon-grant-error'))
      await refusal.waitFor()
      assert.equal(await refusal.getAttribute('data-reason'), 'grant_refused')
      assert.equal(await refusal.getAttribute('data-field-reason'), 'granted_recently')
      assert.ok((await textOf(refusal)).includes('近期已向该用户发放过此券'))

      // The 360 page's wallet shows the API's coupon.
      const wallet = (await apiGet(page, `/api/v1/users/${user.id}/coupons`)).items
      const coupon = wallet.find((c) => c.id === couponId)
      assert.ok(coupon, 'the API has the coupon in the wallet')
      await openUser(page, user.id)
      const card = page.locator(sel('user-coupons'))
      await card.waitFor()
      const shownSel = `${sel('user-coupon')}[data-coupon-id="${couponId}"]`
      const shown = card.locator(shownSel)
      await shown.waitFor()
      assert.equal(await shown.getAttribute('data-template-id'), tpl.id)
      assert.equal(await shown.getAttribute('data-status'), 'unused')
      assert.deepEqual(
        await card.locator(sel('user-coupon')).evaluateAll((els) => els.map((e) => e.dataset.couponId)),
        wallet.map((c) => c.id),
        'the whole wallet, newest first',
      )
      const tr = card.locator('tr', { has: page.locator(shownSel) })
      assert.equal(await textOf(tr.locator(sel('user-coupon-face-value'))), '20.00')
      assert.equal(await textOf(tr.locator(sel('user-coupon-source'))), '运营发放')
      assert.equal(await textOf(tr.locator(sel('user-coupon-channel'))), 'sms')
      assert.equal(await textOf(tr.locator(sel('user-coupon-status'))), '未使用')
      await card.screenshot({ path: path.join(RESULTS_DIR, 'user-coupons.png') })
      // Filtered by status: none of them is used.
      await card.locator(sel('user-coupons-status')).click()
      await page.locator(`${sel('user-coupons-status-option')}[data-status="used"]:visible`).click()
      await waitForData(page, sel('user-coupons'), 'status', 'used')
      const used = (await apiGet(page, `/api/v1/users/${user.id}/coupons?status=used`)).items
      await waitForData(page, sel('user-coupons'), 'count', String(used.length))
      assert.equal(await card.locator(`${sel('user-coupon')}[data-coupon-id="${couponId}"]`).count(), 0)

      // Checkout preview: 2 × 60.00 reaches 满 100, 1 × 60.00 does not.
      await page.goto(`${BASE_URL}/coupons/${tpl.id}`)
      const checkout = page.locator(sel('coupon-checkout'))
      await checkout.waitFor()
      await page.locator(sel('checkout-user')).fill(user.id)
      await page.locator(sel('checkout-item-price')).fill('60')
      await fillNumber(page, 'checkout-item-quantity', 2)
      const verdict = page.locator(`${sel('checkout-verdict')}[data-coupon-id="${couponId}"]`)

      await page.locator(sel('checkout-evaluate')).click()
      await waitForData(page, sel('coupon-checkout'), 'state', 'ok')
      await verdict.waitFor()
      assert.equal(await verdict.getAttribute('data-usable'), 'true')
      const big = await apiPost(page, '/api/v1/checkout/evaluate', { user_id: user.id, cart: { items: [{ sku: 'SKU-1', price: '60', quantity: 2 }] } })
      assert.equal(big.status, 200)
      assert.equal(await page.locator(sel('checkout-best')).getAttribute('data-total'), big.body.best.total_discount)
      assert.ok(big.body.best.coupons.some((c) => c.coupon_id === couponId), 'the API uses it too')
      assert.ok(Number(big.body.best.total_discount) >= 20)
      assert.equal(await page.locator(`${sel('checkout-applied')}[data-coupon-id="${couponId}"]`).getAttribute('data-discount'), '20.00')
      await page.screenshot({ path: path.join(RESULTS_DIR, 'coupon-checkout.png'), fullPage: true })

      await fillNumber(page, 'checkout-item-quantity', 1)
      await page.locator(sel('checkout-evaluate')).click()
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.usable === 'false', `${sel('checkout-verdict')}[data-coupon-id="${couponId}"]`)
      assert.equal(await verdict.getAttribute('data-reason'), 'below_min_amount')
      assert.equal(await textOf(verdict), '未达到最低使用金额')
      const small = await apiPost(page, '/api/v1/checkout/evaluate', { user_id: user.id, cart: { items: [{ sku: 'SKU-1', price: '60', quantity: 1 }] } })
      assert.equal(small.body.coupons.find((c) => c.id === couponId)?.reason, 'below_min_amount')
      assert.equal(await page.locator(sel('checkout-best')).getAttribute('data-total'), small.body.best.total_discount)
    })
  })

  test('grants in bulk to a saved segment and to an uploaded list, following the jobs', async () => {
    await withPage('coupon-bulk-grant', async (page) => {
      await logIn(page)
      const tpl = await createTemplate(page, { ...thresholdSpec(`批量 ${RUN}`, '50', '5'), limits: { stock: 100000 } })
      for (let i = 0; i < 60 && !(await apiGet(page, '/api/v1/segments/index')).ready; i++) await page.waitForTimeout(500)
      const seg = await apiPost(page, '/api/v1/segments', { name: `券 ${RUN}`, description: 'coupons browser test', filter: 'orders >= 3' })
      assert.equal(seg.status, 201, JSON.stringify(seg.body))
      assert.ok(seg.body.count > 0, 'the segment has members')

      await page.goto(`${BASE_URL}/coupons/${tpl.id}`)
      await page.locator(sel('coupon-grant-jobs')).waitFor()
      await page.locator(sel('coupon-grant-target-segment')).click()
      await page.locator(sel('coupon-grant-segment')).click()
      await page.locator(`${sel('coupon-grant-segment-option')}[data-segment-id="${seg.body.id}"]`).click()
      const started = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/coupon-templates/${tpl.id}/grants` && r.request().method() === 'POST')
      await page.locator(sel('coupon-grant-submit')).click()
      const res = await started
      assert.equal(res.status(), 202, await res.text())
      const job = await res.json()
      assert.equal(job.target, `segment:${seg.body.id}`)

      // Followed every second until done; then the page shows the API's outcome.
      const shownJob = page.locator(`${sel('coupon-grant-job')}[data-job-id="${job.id}"]`)
      await shownJob.waitFor()
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.status === 'done', `${sel('coupon-grant-job')}[data-job-id="${job.id}"]`, { timeout: 30_000 })
      const done = await apiGet(page, `/api/v1/grant-jobs/${job.id}`)
      assert.equal(done.status, 'done')
      assert.equal(Number(await shownJob.getAttribute('data-total')), done.total)
      assert.equal(Number(await shownJob.getAttribute('data-position')), done.total)
      assert.equal(Number(await shownJob.getAttribute('data-granted')), done.granted)
      const skippedTotal = Object.values(done.skipped).reduce((a, b) => a + b, 0)
      assert.equal(done.granted + skippedTotal, done.total, 'every member is granted or skipped')
      assert.ok(done.granted > 0)
      assert.ok((await textOf(shownJob.locator(sel('coupon-grant-job-target')))).includes(`券 ${RUN}`), 'the segment by name')
      await waitForData(page, sel('coupon-figures'), 'issued', String(done.granted))

      // An uploaded CSV of external ids: the segment's users were just granted, so they are skipped.
      const members = (await apiGet(page, `/api/v1/segments/${seg.body.id}/members?limit=2`)).items
      await page.locator(sel('coupon-grant-target-list')).click()
      await page.locator(sel('coupon-grant-list-kind-external_ids')).click()
      const csv = `external_id,name\n${members.map((m) => `"${m.external_id}",x`).join('\n')}\n`
      await page.locator(sel('coupon-grant-file')).setInputFiles({ name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
      await waitForData(page, sel('coupon-grant-list-count'), 'count', String(members.length))
      const listed = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/coupon-templates/${tpl.id}/grants` && r.request().method() === 'POST')
      await page.locator(sel('coupon-grant-submit')).click()
      const listRes = await listed
      assert.equal(listRes.status(), 202, await listRes.text())
      assert.deepEqual(JSON.parse(listRes.request().postData()).external_ids, members.map((m) => m.external_id))
      const listJob = await listRes.json()
      assert.equal(listJob.target, 'list')
      const listSel = `${sel('coupon-grant-job')}[data-job-id="${listJob.id}"]`
      await page.waitForFunction((s) => document.querySelector(s)?.dataset.status === 'done', listSel, { timeout: 30_000 })
      const listDone = await apiGet(page, `/api/v1/grant-jobs/${listJob.id}`)
      assert.equal(listDone.granted, 0)
      assert.equal(listDone.skipped.granted_recently, members.length)
      const skipped = page.locator(`${listSel} ${sel('coupon-grant-job-skipped')}[data-reason="granted_recently"]`)
      assert.equal(Number(await skipped.getAttribute('data-count')), members.length)
      assert.ok((await textOf(skipped)).startsWith('近期已向该用户发放过此券'))

      // Newest first, as the API lists them.
      const jobs = (await apiGet(page, `/api/v1/coupon-templates/${tpl.id}/grants`)).items
      assert.deepEqual(jobs.map((j) => j.id).slice(0, 2), [listJob.id, job.id])
      assert.deepEqual(
        (await page.locator(sel('coupon-grant-job')).evaluateAll((els) => els.map((e) => e.dataset.jobId))).slice(0, 2),
        [listJob.id, job.id],
      )
      await page.screenshot({ path: path.join(RESULTS_DIR, 'coupon-grants.png'), fullPage: true })
    })
  })

  test('generates a code batch and exports its codes as CSV', async () => {
    await withPage('coupon-codes', async (page) => {
      await logIn(page)
      const tpl = await createTemplate(page, thresholdSpec(`兑换码 ${RUN}`))
      await page.goto(`${BASE_URL}/coupons/${tpl.id}`)
      await page.locator(sel('coupon-codes')).waitFor()
      await page.locator(sel('coupon-codes-name')).fill(`直播 ${RUN}`)
      await fillNumber(page, 'coupon-codes-size', 5)
      const created = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/coupon-templates/${tpl.id}/code-batches` && r.request().method() === 'POST')
      await page.locator(sel('coupon-codes-generate')).click()
      const res = await created
      assert.equal(res.status(), 201, await res.text())
      const batch = await res.json()
      assert.equal(batch.size, 5)

      const shown = page.locator(`${sel('coupon-codes-batch')}[data-batch-id="${batch.id}"]`)
      await shown.waitFor()
      assert.equal(await shown.getAttribute('data-size'), '5')
      assert.equal(await shown.getAttribute('data-redeemed'), '0')
      const listed = (await apiGet(page, `/api/v1/coupon-templates/${tpl.id}/code-batches`)).items
      assert.equal(listed[0]?.id, batch.id, 'the API lists it first')

      const tr = page.locator('tr', { has: shown })
      const href = await tr.locator(sel('coupon-codes-csv')).getAttribute('href')
      const csv = await page.request.get(`${BASE_URL}${href}`)
      assert.equal(csv.status(), 200)
      assert.match(csv.headers()['content-type'] ?? '', /^text\/csv/)
      const lines = (await csv.text()).trim().split('\n')
      assert.equal(lines[0], 'code,redeemed_at,user_id')
      assert.equal(lines.length, 6, 'a header and five codes')
      assert.equal(new Set(lines.slice(1).map((l) => l.split(',')[0])).size, 5, 'five different codes')
    })
  })
})
