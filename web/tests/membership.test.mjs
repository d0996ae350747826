// End-to-end test of the membership card on the user 360 page against a running shopcrm
// server; run like console.test.mjs (see web/README.md). The test gives its own user
// points and stored value through the API, then checks the page shows what the API says.

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { RESULTS_DIR, apiGet, apiPost, logIn, openUser, sel, useBrowser, withPage } from './helpers.mjs'

useBrowser()

const RUN = Date.now().toString(36)

/** A POST that must answer 201. */
async function mustPost(page, apiPath, data) {
  const res = await apiPost(page, apiPath, data)
  assert.equal(res.status, 201, `POST ${apiPath} answered ${res.status}: ${JSON.stringify(res.body)}`)
  return res.body
}

describe('membership', () => {
  test('the 360 page shows the member’s points, stored value and ledgers as the API has them', async () => {
    await withPage('membership-card', async (page) => {
      await logIn(page)
      const { items } = await apiGet(page, '/api/v1/users?limit=100')
      const user = items.slice(80).find((u) => u.name && !u.is_bare && !u.erased)
      assert.ok(user, 'the demo data has a user to use')
      const base = `/api/v1/members/${user.id}`
      await mustPost(page, `${base}/points/earn`, { amount: 120, source_ref: `order-${RUN}`, reason: 'order paid' })
      await mustPost(page, `${base}/points/earn`, { amount: 30, source_ref: `order-${RUN}-b`, hold_days: 7 })
      await mustPost(page, `${base}/points/spend`, { amount: 20, reason: 'points mall' })
      await mustPost(page, `${base}/stored-value/recharge`, { amount: '100.00', payment_ref: `wx-${RUN}` })
      await mustPost(page, `${base}/stored-value/pay`, { amount: '30.50', order_id: `order-${RUN}` })

      const points = await apiGet(page, `${base}/points`)
      const value = await apiGet(page, `${base}/stored-value`)
      const paid = await apiGet(page, `${base}/paid-membership`)
      const entries = (await apiGet(page, `${base}/points/entries?limit=10`)).items

      await openUser(page, user.id)
      const card = page.locator(`${sel('user-membership')}[data-loaded="yes"]`)
      await card.waitFor()
      const shownPoints = card.locator(sel('member-points'))
      assert.equal(await shownPoints.getAttribute('data-available'), String(points.available))
      assert.equal(await shownPoints.getAttribute('data-pending'), String(points.pending))
      assert.ok(points.pending >= 30, 'the held points are pending')
      assert.equal(await card.locator(sel('member-balance')).getAttribute('data-balance'), value.balance)
      assert.equal(await card.locator(sel('member-paid')).getAttribute('data-status'), paid.status)
      assert.deepEqual(
        await card.locator(sel('member-points-entry')).evaluateAll((els) => els.map((e) => e.dataset.kind)),
        entries.map((e) => e.kind),
        'the points ledger, newest first',
      )
      const valueKinds = await card.locator(sel('member-value-entry')).evaluateAll((els) => els.map((e) => e.dataset.kind))
      assert.deepEqual(valueKinds.slice(0, 2), ['pay', 'recharge'])
      assert.ok((await card.innerText()).includes('积分明细'))
      await card.screenshot({ path: path.join(RESULTS_DIR, 'user-membership.png') })

      // A spend made elsewhere shows after a refresh.
      await mustPost(page, `${base}/points/spend`, { amount: 5 })
      await card.locator(sel('user-membership-refresh')).click()
      await page.locator(`${sel('member-points')}[data-available="${points.available - 5}"]`).waitFor()
    })
  })
})
