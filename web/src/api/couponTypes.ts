// Shapes of the coupon API (src/api/routes/coupon_json.cc): templates, wallets, checkout,
// grant jobs and code batches. Amounts are decimal strings in yuan ("12.30"); ids are
// strings; times RFC 3339.

export const COUPON_KINDS = ['threshold', 'red_packet', 'percent', 'random_red_packet', 'free_shipping'] as const
export type CouponKind = (typeof COUPON_KINDS)[number]

export type Funding = 'platform' | 'store'
export type Distribution = 'uniform' | 'low_skew'

/** Ids (SKUs, categories, stores) or city names; an empty `include` means all, `exclude` always wins. */
export interface IdFilter {
  include: string[]
  exclude: string[]
}

export const ID_FILTER_KEYS = ['skus', 'categories', 'stores', 'cities'] as const
export type IdFilterKey = (typeof ID_FILTER_KEYS)[number]

export interface CouponTerms {
  kind: CouponKind | string
  funding?: Funding | string
  /** The funding store (store-funded only). */
  store_id?: string
  min_amount?: string
  /** Threshold / red packet: the amount off; percent / free shipping: the cap ("0.00" = none). */
  discount?: string
  /** Percent only, 1..99. */
  percent_off?: number
  /** Random red packet only. */
  random_min?: string
  random_max?: string
  distribution?: Distribution | string
  skus?: IdFilter
  categories?: IdFilter
  stores?: IdFilter
  cities?: IdFilter
  exclusive?: boolean
  /** 0..100; the store pays the rest. Defaults: 100 for platform, 0 for store funding. */
  platform_share_percent?: number
  return_on_refund?: boolean
}

/** Absent or null: unlimited. */
export interface CouponLimits {
  stock?: number | null
  budget?: string | null
  per_user_daily?: number | null
  per_user_total?: number | null
}

/** Either use_start and use_end, or use_days. */
export interface CouponValidity {
  claim_start?: string | null
  claim_end?: string | null
  use_start?: string | null
  use_end?: string | null
  use_days?: number | null
}

/** Body of POST /api/v1/coupon-templates and PUT /api/v1/coupon-templates/{id}. */
export interface CouponTemplateSpec {
  name: string
  description?: string
  terms: CouponTerms
  limits?: CouponLimits
  validity: CouponValidity
}

export type TemplateStatus = 'active' | 'paused' | 'ended'

export interface TemplateStats {
  issued: number
  budget_used: string
  /** Null without a stock limit. */
  stock_left: number | null
  unused: number
  locked: number
  used: number
  expired: number
  /** Used on an order refunded since, and not given back. */
  refunded: number
  /** used / issued, 0..1. */
  redemption_rate: number
}

export interface CouponTemplate {
  id: string
  name: string
  description: string
  status: TemplateStatus | string
  version: number
  terms: CouponTerms
  limits: Required<CouponLimits>
  validity: Required<CouponValidity>
  stats: TemplateStats
  created_by: string
  created_at: string
  updated_at: string
}

export const WALLET_STATUSES = ['unused', 'locked', 'used', 'expired', 'refunded'] as const
export type WalletStatus = (typeof WALLET_STATUSES)[number]

/** A coupon in a user's wallet, with the terms of the version it was issued with. */
export interface Coupon {
  id: string
  template_id: string
  version: number
  name: string
  user_id: string
  terms: CouponTerms
  face_value: string
  status: WalletStatus | string
  /** self (claimed), crm (granted), code (redeemed). */
  source: 'self' | 'crm' | 'code' | string
  source_ref: string
  channel: string
  valid_from: string
  valid_until: string
  issued_at: string
  order_id: string | null
  discount: string
  platform_part: string
  store_part: string
}

export interface CartItem {
  sku: string
  category_id?: string
  store_id?: string
  /** Unit price. */
  price: string
  quantity: number
}

export interface Cart {
  items: CartItem[]
  city?: string
  shipping_fee?: string
}

export interface AppliedCoupon {
  coupon_id: string
  discount: string
  shipping_discount: string
  /** One per cart item. */
  item_discounts: string[]
  platform_part: string
  store_part: string
}

export interface Pricing {
  /** In application order. */
  coupons: AppliedCoupon[]
  total_discount: string
  shipping_discount: string
  /** Per cart item, over all applied coupons. */
  item_discounts: string[]
}

export const VERDICT_REASONS = [
  'not_yet_valid',
  'expired',
  'locked',
  'used',
  'city_not_allowed',
  'no_eligible_items',
  'below_min_amount',
  'no_shipping_fee',
] as const

/** A wallet coupon as evaluate answers it: without its full terms. */
export interface EvaluatedCoupon {
  id: string
  template_id: string
  name: string
  kind: string
  funding: string
  exclusive: boolean
  face_value: string
  status: string
  valid_until: string
  usable: boolean
  /** Why not (VERDICT_REASONS); null when usable. */
  reason: string | null
  /** The discount were it used alone. */
  discount_alone: string
}

/** POST /api/v1/checkout/evaluate */
export interface CheckoutEvaluation {
  coupons: EvaluatedCoupon[]
  best: Pricing
}

export const GRANT_SKIP_REASONS = [
  'too_many_unused',
  'granted_recently',
  'user_limit_reached',
  'daily_limit_reached',
  'coupon_stock_exhausted',
  'coupon_budget_exhausted',
  'template_not_active',
  'claim_not_open',
  'user_not_found',
] as const

export type GrantJobStatus = 'queued' | 'running' | 'done' | 'failed'

/** A bulk grant (to a segment or a list of users), run in the background. */
export interface GrantJob {
  id: string
  template_id: string
  /** "segment:<id>" or "list". */
  target: string
  status: GrantJobStatus | string
  total: number
  position: number
  granted: number
  /** Reason → users skipped for it. */
  skipped: Record<string, number>
  channel: string
  error: string | null
  created_by: string
  created_at: string
  updated_at: string
}

/** Body of POST /api/v1/coupon-templates/{id}/grants: one of the three targets. */
export type GrantJobRequest = ({ segment_id: string } | { user_ids: string[] } | { external_ids: string[] }) & {
  channel?: string
}

export interface CodeBatch {
  id: string
  template_id: string
  name: string
  size: number
  redeemed: number
  created_by: string
  created_at: string
}
