// Shapes of the membership API (src/api/routes/member_json.cc), shared by the console and
// the member centre: points are whole numbers, money decimal strings in major units,
// ids strings, times RFC 3339.

export interface PointsAccount {
  user_id: string
  available: number
  pending: number
  next_expiry: string | null
  next_expiry_points: number
}

export interface StoredValueAccount {
  user_id: string
  balance: string
  principal: string
  bonus: string
  currency: string
}

export interface MemberLevel {
  user_id: string
  level: number
  name: string
  growth: number
  next: { level: number; name: string; threshold: number } | null
  to_next: number
  recycle_at: string | null
  to_keep: number | null
}

export interface PaidMembership {
  user_id: string
  status: 'none' | 'active' | 'grace' | 'expired'
  plan: { id: string; name: string } | null
  expires_at: string | null
  grace_until: string | null
  terms: number
}

export interface PointsEntry {
  id: string
  kind: string
  available_change: number
  pending_change: number
  available_after: number
  reason: string
  source_ref: string
  at: string
}

export interface StoredValueEntry {
  id: string
  kind: string
  principal_change: string
  bonus_change: string
  principal_after: string
  bonus_after: string
  order_id: string
  payment_ref: string
  reason: string
  at: string
}

export interface MemberBenefits {
  paid: boolean
  points_percent: number
  free_shipping_per_month: number
  priority_service: boolean
  birthday_points: number
  monthly_coupon: boolean
  birthday_coupon: boolean
}

export interface CheckIn {
  day: string
  streak: number
  points: number
  made_up: boolean
  at: string
}

export interface MallItem {
  id: string
  name: string
  kind: 'coupon' | 'goods' | 'partner' | string
  coupon_template_id: string | null
  points_price: number
  stock: number | null
  per_member_limit: number | null
  redeemed: number
  status: string
}

export interface Redemption {
  id: string
  item_id: string
  item_name: string
  points: number
  coupon_id: string | null
  at: string
}

export interface BenefitGrant {
  user_id: string
  benefit: 'monthly_coupon' | 'birthday_points' | 'birthday_coupon' | string
  period: string
  coupon_id: string | null
  points: number
  outcome: string
  at: string
}

/** GET /api/v1/me: the member centre's first screen. */
export interface MeSummary {
  user: { id: string; external_id: string; name: string | null }
  level: MemberLevel | null
  paid_membership: PaidMembership
  benefits: MemberBenefits
  points: PointsAccount
  stored_value: StoredValueAccount
  check_in: { today: string; checked_in: boolean; streak: number; make_ups_left: number; make_up_cost: number }
}

export interface MemberTask {
  id: string
  code: string
  name: string
  kind: 'once' | 'daily' | string
  points: number
  coupon_template_id: string | null
  status: string
  done?: boolean
  done_at?: string | null
}

export interface Medal {
  id: string
  code: string
  name: string
  description: string
  metric: string
  threshold: number
  status: string
  awarded_at?: string | null
  progress?: number
}
