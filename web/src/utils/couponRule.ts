// A coupon template's rule in words, in the console's language, computed from the spec
// as it goes on the wire (the editor's form, or a template the server sent):
//   满 100.00 减 20.00，平台出资；每人每天限领 1 张，共 2 张；库存 10000 张；领取后 7 天内有效
//   20.00 off orders of 100.00 or more, paid by the platform; 1 per user per day, 2 in
//   total; 10,000 in stock; valid for 7 days after claiming
// Clauses: what it gives and who pays; which items and cities; stacking and refunds;
// per-user limits; stock and budget; the claim window; the use window. The wording is in
// the message files under `coupons.rule`; Chinese writes numbers without grouping (满1000减100).

import type { CouponLimits, CouponTerms, CouponValidity, IdFilter } from '@/api/couponTypes'
import { ID_FILTER_KEYS } from '@/api/couponTypes'

/** What the rule is made of: a template or a spec (name and description are not used). */
export interface RuleSource {
  terms: CouponTerms
  limits?: CouponLimits | null
  validity: CouponValidity
}

/** vue-i18n's `t` with named values. */
export type Translate = (key: string, named?: Record<string, unknown>) => string

const pad = (n: number): string => String(n).padStart(2, '0')

/** "YYYY-MM-DD HH:mm" in the browser's time zone; the text as given when it is not a time. */
function minuteText(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function describeRule(source: RuleSource, t: Translate, locale: string): string {
  const zh = locale.startsWith('zh')
  const comma = zh ? '，' : ', '
  const semicolon = zh ? '；' : '; '
  const listSep = zh ? '、' : ', '
  const grouping = !zh
  const count = (n: number): string => new Intl.NumberFormat(locale, { useGrouping: grouping }).format(n)
  /** A decimal amount with two places; what was typed when it is not a number; "" as 0. */
  const amount = (value: string | null | undefined): string => {
    const text = (value ?? '').trim()
    const n = text === '' ? 0 : Number(text)
    if (!Number.isFinite(n)) return text
    return new Intl.NumberFormat(locale, { useGrouping: grouping, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n)
  }
  const positive = (value: string | null | undefined): boolean => Number((value ?? '').trim() || 0) > 0
  const r = (key: string, named?: Record<string, unknown>): string => t(`coupons.rule.${key}`, named)

  const { terms, validity } = source
  const limits = source.limits ?? {}
  const clauses: string[] = []

  // What it gives, and who pays.
  const give: string[] = []
  const min = amount(terms.min_amount)
  const hasMin = positive(terms.min_amount)
  switch (terms.kind) {
    case 'threshold':
      give.push(r('threshold', { min, discount: amount(terms.discount) }))
      break
    case 'red_packet':
      give.push(r(hasMin ? 'redPacketMin' : 'redPacket', { min, discount: amount(terms.discount) }))
      break
    case 'percent': {
      const percent = terms.percent_off ?? 0
      const fold = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format((100 - percent) / 10)
      give.push(r(hasMin ? 'percentMin' : 'percent', { min, percent, fold }))
      if (positive(terms.discount)) give.push(r('percentCap', { cap: amount(terms.discount) }))
      break
    }
    case 'random_red_packet':
      give.push(r(hasMin ? 'randomMin' : 'random', { min, low: amount(terms.random_min), high: amount(terms.random_max) }))
      give.push(r(`distribution.${terms.distribution === 'low_skew' ? 'low_skew' : 'uniform'}`))
      break
    case 'free_shipping':
      give.push(r(hasMin ? 'freeShippingMin' : 'freeShipping', { min }))
      if (positive(terms.discount)) give.push(r('shippingCap', { cap: amount(terms.discount) }))
      break
    default:
      give.push(String(terms.kind))
  }
  const store = terms.funding === 'store'
  give.push(store ? r('fundingStore', { store: terms.store_id || '?' }) : r('fundingPlatform'))
  const share = terms.platform_share_percent ?? (store ? 0 : 100)
  if (share !== (store ? 0 : 100)) give.push(r('share', { platform: share, store: 100 - share }))
  clauses.push(give.join(comma))

  // Which items and cities.
  const scope: string[] = []
  for (const key of ID_FILTER_KEYS) {
    const filter: IdFilter | undefined = terms[key]
    if (filter?.include.length) scope.push(r('only', { what: r(`scope.${key}`), list: filter.include.join(listSep) }))
    if (filter?.exclude.length) scope.push(r('except', { what: r(`scope.${key}`), list: filter.exclude.join(listSep) }))
  }
  if (scope.length) clauses.push(scope.join(comma))

  // Stacking and refunds.
  const stacking: string[] = []
  if (terms.exclusive) stacking.push(r('exclusive'))
  if (terms.return_on_refund === false) stacking.push(r('noReturn'))
  if (stacking.length) clauses.push(stacking.join(comma))

  // Per-user limits.
  const daily = limits.per_user_daily
  const total = limits.per_user_total
  if (daily != null && total != null) clauses.push(r('perUserDailyTotal', { daily: count(daily), total: count(total) }))
  else if (daily != null) clauses.push(r('perUserDaily', { daily: count(daily) }))
  else if (total != null) clauses.push(r('perUserTotal', { total: count(total) }))

  // Stock and budget.
  const supply: string[] = []
  if (limits.stock != null) supply.push(r('stock', { n: count(limits.stock) }))
  if (limits.budget != null && limits.budget !== '') supply.push(r('budget', { amount: amount(limits.budget) }))
  if (supply.length) clauses.push(supply.join(comma))

  // When it can be claimed, and used.
  const { claim_start: cs, claim_end: ce } = validity
  if (cs && ce) clauses.push(r('claimWindow', { start: minuteText(cs), end: minuteText(ce) }))
  else if (cs) clauses.push(r('claimFrom', { start: minuteText(cs) }))
  else if (ce) clauses.push(r('claimUntil', { end: minuteText(ce) }))
  if (validity.use_days != null) {
    clauses.push(r(validity.use_days === 1 ? 'useDay' : 'useDays', { n: count(validity.use_days) }))
  } else if (validity.use_start || validity.use_end) {
    clauses.push(
      r('useWindow', {
        start: validity.use_start ? minuteText(validity.use_start) : '?',
        end: validity.use_end ? minuteText(validity.use_end) : '?',
      }),
    )
  }
  return clauses.join(semicolon)
}
