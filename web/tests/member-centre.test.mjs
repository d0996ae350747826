// End-to-end tests of the member centre (/m/) at a phone's viewport, against a running
// shopcrm server with the demo data; run like console.test.mjs (see web/README.md). Each
// test signs in to the console only to get a member-centre link (as the mall would sign
// it), then uses the member page as the member would, and checks it against the API.

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { BASE_URL, RESULTS_DIR, apiGet, apiPost, logIn, openUser, sel, useBrowser, withPage } from './helpers.mjs'

useBrowser()

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }

/** A member-centre link for `userId`, minted with the console session of `page`. */
async function memberLink(page, userId) {
  const res = await apiPost(page, `/api/v1/members/${userId}/member-token`, {})
  assert.equal(res.status, 201, `member-token answered ${res.status}: ${JSON.stringify(res.body)}`)
  return res.body
}

/** GET of a member-centre API path with the member's token. */
async function meGet(page, token, apiPath = '') {
  const res = await page.request.get(`${BASE_URL}/api/v1/me${apiPath}`, { headers: { Authorization: `Member ${token}` } })
  assert.equal(res.status(), 200, `GET /api/v1/me${apiPath} answered ${res.status()}: ${await res.text()}`)
  return res.json()
}

/** Demo members (the first 200 users) whose summary passes `want`; signs in first. */
async function findMember(page, want) {
  await logIn(page)
  const { items } = await apiGet(page, '/api/v1/users?limit=200')
  for (const user of items) {
    if (!user.name || user.is_bare || user.erased) continue
    const link = await memberLink(page, user.id)
    const summary = await meGet(page, link.token)
    if (want(summary)) return { user, link, summary }
  }
  assert.fail('the demo data has a member that fits')
}

/** Opens the member centre with `link` and waits for its first screen. */
async function openCentre(page, link) {
  await page.goto(`${BASE_URL}${link.url}`)
  await page.locator(sel('m-home')).waitFor()
}

const shown = async (page, name) => (await page.locator(sel(name)).innerText()).trim()

describe('member centre', () => {
  test('a signed link opens the member’s first screen at a phone’s width, as the API has it', async () => {
    await withPage(
      'member-centre-home',
      async (page) => {
        const { link, summary } = await findMember(page, (s) => s.level !== null && s.user.name)
        await openCentre(page, link)
        assert.equal(new URL(page.url()).searchParams.get('token'), null, 'the token leaves the address bar')
        assert.ok((await shown(page, 'm-level')).includes(summary.user.name))
        assert.equal(await shown(page, 'm-level-name'), summary.level.name)
        assert.equal(await shown(page, 'm-points'), summary.points.available.toLocaleString('zh-CN'))
        const balance = await shown(page, 'm-balance')
        assert.ok(balance.replace(/[^\d.]/g, '') === Number(summary.stored_value.balance).toFixed(2), balance)
        const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth])
        assert.ok(widths[0] <= widths[1], `nothing wider than the phone (${widths})`)
        await page.screenshot({ path: path.join(RESULTS_DIR, 'member-centre-home.png'), fullPage: true })
      },
      PHONE,
    )
  })

  test('checking in adds the day’s points, marks today on the calendar and is not offered again', async () => {
    await withPage(
      'member-centre-check-in',
      async (page) => {
        const { link, summary } = await findMember(page, (s) => !s.check_in.checked_in)
        await openCentre(page, link)
        const button = page.locator(sel('m-check-in-button'))
        assert.equal(await button.isEnabled(), true)
        await button.tap()
        await page.locator(sel('m-notice')).waitFor()
        await page.locator(`${sel('m-day-done')}[data-date="${summary.check_in.today}"]`).waitFor()
        assert.equal(await button.isDisabled(), true)
        const after = await meGet(page, link.token)
        assert.equal(after.check_in.checked_in, true)
        assert.ok(after.points.available > summary.points.available, 'points were earned')
        await page.locator(`${sel('m-points')}:has-text("${after.points.available.toLocaleString('zh-CN')}")`).waitFor()
        assert.ok((await shown(page, 'm-streak')).includes(String(after.check_in.streak)))
      },
      PHONE,
    )
  })

  test('a missed day of the month can be made up for points, and then counts as checked in', async () => {
    await withPage(
      'member-centre-make-up',
      async (page) => {
        const { link, summary } = await findMember(page, (s) => s.points.available >= 20 && s.check_in.make_ups_left > 0)
        await openCentre(page, link)
        if (summary.check_in.today.endsWith('-01')) {
          // The first of the month has no earlier day to make up.
          assert.equal(await page.locator(sel('m-day-missed')).count(), 0)
          return
        }
        const missed = page.locator(sel('m-day-missed')).first()
        const day = await missed.getAttribute('data-date')
        assert.ok(day < summary.check_in.today)
        await missed.tap()
        await page.locator(sel('m-make-up')).waitFor()
        assert.ok((await shown(page, 'm-make-up')).includes(String(summary.check_in.make_up_cost)))
        await page.locator(sel('m-make-up-ok')).tap()
        await page.locator(`${sel('m-day-done')}[data-date="${day}"]`).waitFor()
        const after = await meGet(page, link.token)
        assert.equal(after.check_in.make_ups_left, summary.check_in.make_ups_left - 1)
        const month = await meGet(page, link.token, `/check-ins?month=${day.slice(0, 7)}`)
        assert.ok(month.items.some((c) => c.day === day && c.made_up))
        assert.equal(after.points.available, summary.points.available - summary.check_in.make_up_cost + month.items.find((c) => c.day === day).points)
      },
      PHONE,
    )
  })

  test('redeeming a points-mall coupon takes its points and puts the coupon in the wallet', async () => {
    await withPage(
      'member-centre-redeem',
      async (page) => {
        const { link, summary } = await findMember(page, (s) => s.points.available >= 200 && s.points.available < 800)
        await openCentre(page, link)
        await page.locator(sel('m-tab-mall')).tap()
        const items = page.locator(sel('m-item'))
        await items.first().waitFor()
        const coupon = items.filter({ hasText: '10 元无门槛券' })
        const partner = items.filter({ hasText: '视频会员周卡' })
        assert.equal(await partner.locator(sel('m-item-redeem')).isDisabled(), true, 'an item it cannot afford')
        assert.equal((await partner.locator(sel('m-item-redeem')).innerText()).trim(), '积分不足')
        await coupon.locator(sel('m-item-redeem')).tap()
        await page.locator(sel('m-confirm')).waitFor()
        await page.locator(sel('m-confirm-ok')).tap()
        await page.locator(`${sel('m-notice')}:has-text("兑换成功")`).waitFor()
        await page.locator(`${sel('m-redemptions-entry')}:has-text("10 元无门槛券")`).waitFor()
        const after = await meGet(page, link.token)
        assert.equal(after.points.available, summary.points.available - 200)

        await page.locator(sel('m-tab-coupons')).tap()
        await page.locator(`${sel('m-coupon-name')}:has-text("积分兑 10 元券")`).first().waitFor()
        const wallet = await meGet(page, link.token, '/coupons?status=unused')
        assert.equal(await page.locator(sel('m-coupon')).count(), wallet.items.length)
      },
      PHONE,
    )
  })

  test('the points and balance tabs list the ledgers the API has, newest first', async () => {
    await withPage(
      'member-centre-ledgers',
      async (page) => {
        const { link, summary } = await findMember(page, (s) => Number(s.stored_value.balance) > 0)
        await openCentre(page, link)
        await page.locator(sel('m-tab-points')).tap()
        await page.locator(sel('m-points-ledger-entry')).first().waitFor()
        const points = await meGet(page, link.token, '/points/entries?limit=20')
        assert.equal(await page.locator(sel('m-points-ledger-entry')).count(), points.items.length)
        assert.equal(await shown(page, 'm-points-available'), summary.points.available.toLocaleString('zh-CN'))

        await page.locator(sel('m-tab-wallet')).tap()
        await page.locator(sel('m-wallet-ledger-entry')).first().waitFor()
        const value = await meGet(page, link.token, '/stored-value/entries?limit=20')
        const texts = await page.locator(sel('m-wallet-ledger-entry')).allInnerTexts()
        assert.equal(texts.length, value.items.length)
        assert.ok(texts[texts.length - 1].includes('充值'), 'the oldest entry is the recharge')
        const balance = (await shown(page, 'm-wallet-balance')).replace(/[^\d.]/g, '')
        assert.equal(balance, Number(summary.stored_value.balance).toFixed(2))
      },
      PHONE,
    )
  })

  test('a task the mall reports done shows as done, and the medal it earned as held', async () => {
    await withPage(
      'member-centre-tasks-medals',
      async (page) => {
        const { user, link } = await findMember(page, () => true)
        const tasks = await meGet(page, link.token, '/tasks')
        const open = tasks.items.find((t) => !t.done && t.kind === 'once')
        assert.ok(open, 'the member has a task to do')
        const before = await meGet(page, link.token)
        const res = await apiPost(page, `/api/v1/members/${user.id}/tasks/${open.code}/complete`, {})
        assert.equal(res.status, 201, JSON.stringify(res.body))
        await openCentre(page, link)
        await page.locator(`${sel('m-task')}[data-done="yes"]:has-text("${open.name}")`).waitFor()
        const medals = await meGet(page, link.token, '/medals')
        const held = medals.items.filter((m) => m.awarded_at).map((m) => m.name)
        assert.ok(held.includes('行动派'), `the first-task medal is held: ${held}`)
        assert.deepEqual(
          (await page.locator(sel('m-medal-held')).allInnerTexts()).map((x) => x.trim().split('\n').pop().trim()),
          held,
        )
        assert.equal(await page.locator(sel('m-medal-open')).count(), medals.items.length - held.length)
        const after = await meGet(page, link.token)
        assert.equal(after.points.available, before.points.available + open.points)
        await page.locator(sel('m-medals')).screenshot({ path: path.join(RESULTS_DIR, 'member-centre-medals.png') })
      },
      PHONE,
    )
  })

  test('the language switch turns every tab to English and is remembered on reload', async () => {
    await withPage(
      'member-centre-english',
      async (page) => {
        const { link } = await findMember(page, (s) => s.level !== null)
        await openCentre(page, link)
        assert.equal(await shown(page, 'm-title'), '会员中心')
        await page.locator(sel('m-language')).tap()
        assert.equal(await shown(page, 'm-title'), 'Member centre')
        assert.equal(await shown(page, 'm-tab-mall'), 'Rewards')
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'en')
        await page.locator(sel('m-tab-coupons')).tap()
        assert.equal(await shown(page, 'm-coupons-unused'), 'Unused')
        // A reload keeps the language, and the session keeps the member signed in.
        await page.reload()
        await page.locator(sel('m-home')).waitFor()
        assert.equal(await shown(page, 'm-title'), 'Member centre')
        assert.ok((await shown(page, 'm-check-in')).includes('Daily check-in'))
      },
      PHONE,
    )
  })

  test('without a token, or with one the server refuses, the page says how to get in', async () => {
    await withPage(
      'member-centre-no-token',
      async (page) => {
        await page.goto(`${BASE_URL}/m/`)
        assert.ok((await shown(page, 'm-token-problem')).includes('请从商城 App 里打开会员中心'))
        await page.goto(`${BASE_URL}/m/?token=eyJzdWIiOiJ4IiwiZXhwIjoxfQ.Zm9yZ2Vk`)
        assert.ok((await shown(page, 'm-token-problem')).includes('链接已失效'))
        assert.equal(await page.locator(sel('m-tabs')).count(), 0)
      },
      PHONE,
    )
  })

  test('the console opens the member centre as the member from the 360 page', async () => {
    await withPage('member-centre-from-console', async (page) => {
      await logIn(page)
      const { items } = await apiGet(page, '/api/v1/users?limit=20')
      const user = items.find((u) => u.name && !u.is_bare && !u.erased)
      await openUser(page, user.id)
      const card = page.locator(`${sel('user-membership')}[data-loaded="yes"]`)
      await card.waitFor()
      const [centre] = await Promise.all([page.context().waitForEvent('page'), card.locator(sel('user-member-centre')).click()])
      await centre.locator(sel('m-home')).waitFor()
      assert.ok((await centre.locator(sel('m-level')).innerText()).includes(user.name))
      assert.equal(new URL(centre.url()).pathname, '/m/')
    })
  })
})
