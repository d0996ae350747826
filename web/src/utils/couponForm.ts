// The coupon template editor's form: its values, the spec it sends (only the fields of the
// chosen kind and funding, so the server never sees a field it would refuse), the form a
// template loads into, which fields a kind shows, and the server's field errors keyed to
// the form items that show them.

import type { FieldError } from '@/api/client'
import type {
  CouponKind,
  CouponTemplate,
  CouponTemplateSpec,
  CouponTerms,
  Distribution,
  Funding,
  IdFilter,
  IdFilterKey,
} from '@/api/couponTypes'
import { ID_FILTER_KEYS } from '@/api/couponTypes'

export type UseMode = 'days' | 'fixed'

export interface TemplateForm {
  name: string
  description: string
  kind: CouponKind
  funding: Funding
  store_id: string
  /** Amounts as typed, in yuan; "" leaves the field out (the server takes 0). */
  min_amount: string
  discount: string
  percent_off: number | null
  random_min: string
  random_max: string
  distribution: Distribution
  filters: Record<IdFilterKey, IdFilter>
  exclusive: boolean
  /** null: the funding's default. */
  platform_share_percent: number | null
  return_on_refund: boolean
  /** null: unlimited. */
  stock: number | null
  budget: string
  per_user_daily: number | null
  per_user_total: number | null
  claim_start: Date | null
  claim_end: Date | null
  use_mode: UseMode
  use_days: number | null
  use_start: Date | null
  use_end: Date | null
}

const emptyFilters = (): Record<IdFilterKey, IdFilter> => ({
  skus: { include: [], exclude: [] },
  categories: { include: [], exclude: [] },
  stores: { include: [], exclude: [] },
  cities: { include: [], exclude: [] },
})

export function newTemplateForm(): TemplateForm {
  return {
    name: '',
    description: '',
    kind: 'threshold',
    funding: 'platform',
    store_id: '',
    min_amount: '',
    discount: '',
    percent_off: null,
    random_min: '',
    random_max: '',
    distribution: 'uniform',
    filters: emptyFilters(),
    exclusive: false,
    platform_share_percent: 100,
    return_on_refund: true,
    stock: null,
    budget: '',
    per_user_daily: null,
    per_user_total: null,
    claim_start: null,
    claim_end: null,
    use_mode: 'days',
    use_days: 7,
    use_start: null,
    use_end: null,
  }
}

/** The platform's share a funding starts with (the server's default). */
export const defaultShare = (funding: Funding): number => (funding === 'store' ? 0 : 100)

/** The form items a kind shows, besides those every kind has. */
export function shows(form: Pick<TemplateForm, 'kind' | 'funding' | 'use_mode'>, field: string): boolean {
  switch (field) {
    case 'terms.store_id':
      return form.funding === 'store'
    case 'terms.discount':
      return form.kind !== 'random_red_packet'
    case 'terms.percent_off':
      return form.kind === 'percent'
    case 'terms.random_min':
    case 'terms.random_max':
    case 'terms.distribution':
      return form.kind === 'random_red_packet'
    case 'validity.use_days':
      return form.use_mode === 'days'
    case 'validity.use_start':
    case 'validity.use_end':
      return form.use_mode === 'fixed'
    default:
      return true
  }
}

/** The label key of the discount field: an amount off, or a cap. */
export function discountLabelKey(kind: CouponKind): string {
  switch (kind) {
    case 'percent':
      return 'coupons.form.percentCap'
    case 'free_shipping':
      return 'coupons.form.shippingCap'
    case 'red_packet':
      return 'coupons.form.packetAmount'
    default:
      return 'coupons.form.discount'
  }
}

const iso = (d: Date | null): string | undefined => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined)
const date = (s: string | null | undefined): Date | null => (s ? new Date(s) : null)
const trimmed = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim())

/** What the form sends: only the fields of its kind and funding; empty values left out. */
export function formToSpec(form: TemplateForm): CouponTemplateSpec {
  const terms: CouponTerms = { kind: form.kind, funding: form.funding }
  if (form.funding === 'store') terms.store_id = form.store_id.trim()
  const min = trimmed(form.min_amount)
  if (min !== undefined) terms.min_amount = min
  const discount = trimmed(form.discount)
  if (shows(form, 'terms.discount') && discount !== undefined) terms.discount = discount
  if (form.kind === 'percent' && form.percent_off !== null) terms.percent_off = form.percent_off
  if (form.kind === 'random_red_packet') {
    const low = trimmed(form.random_min)
    const high = trimmed(form.random_max)
    if (low !== undefined) terms.random_min = low
    if (high !== undefined) terms.random_max = high
    terms.distribution = form.distribution
  }
  for (const key of ID_FILTER_KEYS) {
    terms[key] = { include: [...form.filters[key].include], exclude: [...form.filters[key].exclude] }
  }
  terms.exclusive = form.exclusive
  if (form.platform_share_percent !== null) terms.platform_share_percent = form.platform_share_percent
  terms.return_on_refund = form.return_on_refund

  const spec: CouponTemplateSpec = { name: form.name.trim(), description: form.description.trim(), terms, limits: {}, validity: {} }
  const limits = spec.limits!
  if (form.stock !== null) limits.stock = form.stock
  const budget = trimmed(form.budget)
  if (budget !== undefined) limits.budget = budget
  if (form.per_user_daily !== null) limits.per_user_daily = form.per_user_daily
  if (form.per_user_total !== null) limits.per_user_total = form.per_user_total

  const v = spec.validity
  if (form.claim_start) v.claim_start = iso(form.claim_start)
  if (form.claim_end) v.claim_end = iso(form.claim_end)
  if (form.use_mode === 'days') {
    if (form.use_days !== null) v.use_days = form.use_days
  } else {
    if (form.use_start) v.use_start = iso(form.use_start)
    if (form.use_end) v.use_end = iso(form.use_end)
  }
  return spec
}

/** A template as the form shows it, for editing. */
export function templateToForm(t: CouponTemplate): TemplateForm {
  const form = newTemplateForm()
  const terms = t.terms
  form.name = t.name
  form.description = t.description
  form.kind = terms.kind as CouponKind
  form.funding = terms.funding === 'store' ? 'store' : 'platform'
  form.store_id = terms.store_id ?? ''
  form.min_amount = terms.min_amount ?? ''
  form.discount = terms.discount ?? ''
  form.percent_off = terms.percent_off ?? null
  form.random_min = terms.random_min ?? ''
  form.random_max = terms.random_max ?? ''
  form.distribution = terms.distribution === 'low_skew' ? 'low_skew' : 'uniform'
  for (const key of ID_FILTER_KEYS) {
    form.filters[key] = { include: [...(terms[key]?.include ?? [])], exclude: [...(terms[key]?.exclude ?? [])] }
  }
  form.exclusive = !!terms.exclusive
  form.platform_share_percent = terms.platform_share_percent ?? defaultShare(form.funding)
  form.return_on_refund = terms.return_on_refund !== false
  form.stock = t.limits.stock ?? null
  form.budget = t.limits.budget ?? ''
  form.per_user_daily = t.limits.per_user_daily ?? null
  form.per_user_total = t.limits.per_user_total ?? null
  form.claim_start = date(t.validity.claim_start)
  form.claim_end = date(t.validity.claim_end)
  form.use_mode = t.validity.use_days != null ? 'days' : 'fixed'
  form.use_days = t.validity.use_days ?? null
  form.use_start = date(t.validity.use_start)
  form.use_end = date(t.validity.use_end)
  return form
}

/**
 * The form item an error path belongs to: a list entry ("terms.skus.include[3]") is shown
 * on its list, a filter's own errors ("terms.skus") on its include list.
 */
export function errorItem(field: string): string {
  const path = field.replace(/\[\d+\]$/, '')
  const m = /^terms\.(skus|categories|stores|cities)$/.exec(path)
  return m ? `terms.${m[1]}.include` : path
}

/** Every form item the form shows for its kind (the rest of the errors are listed apart). */
export function shownItems(form: TemplateForm): Set<string> {
  const all = [
    'name',
    'description',
    'terms.kind',
    'terms.funding',
    'terms.store_id',
    'terms.min_amount',
    'terms.discount',
    'terms.percent_off',
    'terms.random_min',
    'terms.random_max',
    'terms.distribution',
    ...ID_FILTER_KEYS.flatMap((k) => [`terms.${k}.include`, `terms.${k}.exclude`]),
    'terms.exclusive',
    'terms.platform_share_percent',
    'terms.return_on_refund',
    'limits.stock',
    'limits.budget',
    'limits.per_user_daily',
    'limits.per_user_total',
    'validity.claim_start',
    'validity.claim_end',
    'validity.use_days',
    'validity.use_start',
    'validity.use_end',
  ]
  return new Set(all.filter((f) => shows(form, f)))
}

/** The server's field errors by form item (several on one item joined), and those no item shows. */
export function splitFieldErrors(errors: FieldError[], form: TemplateForm): { byItem: Record<string, string>; other: FieldError[] } {
  const shown = shownItems(form)
  const byItem: Record<string, string> = {}
  const other: FieldError[] = []
  for (const e of errors) {
    let item = errorItem(e.field)
    // "give either use_start and use_end, or use_days" while the fixed window is chosen
    if (item === 'validity.use_days' && form.use_mode === 'fixed') item = 'validity.use_start'
    if (!shown.has(item)) {
      other.push(e)
      continue
    }
    const text = e.detail || e.reason
    byItem[item] = byItem[item] ? `${byItem[item]}; ${text}` : text
  }
  return { byItem, other }
}
