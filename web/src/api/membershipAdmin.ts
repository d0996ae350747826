// What operators set up and read about membership as a whole (docs/membership.md): the
// members list and metrics, paid and recharge plans, points-mall items, tasks, medals,
// benefit runs and the rules set in configuration.
import { api } from './client'
import type { Page } from './types'
import type { MallItem, Medal, MemberTask } from './membershipTypes'

export type Status = 'active' | 'archived'

export interface MemberListItem {
  user_id: string
  external_id: string
  name: string | null
  level: { level: number; name: string | null; growth: number } | null
  points: { available: number; pending: number }
  balance: string
  paid: { status: 'none' | 'active' | 'grace' | 'expired'; plan: string | null; expires_at: string | null }
}

export interface MemberListQuery {
  level?: number | null
  paid?: string | null
}

/** A page of members; amounts are in `currency`. */
export type MemberPage = Page<MemberListItem> & { currency: string }

export async function listMembers(q: MemberListQuery, cursor: string | null): Promise<MemberPage> {
  return api.get<MemberPage>('/api/v1/membership/members', {
    limit: 20,
    cursor,
    level: q.level ?? undefined,
    paid: q.paid || undefined,
  })
}

export interface MembershipMonth {
  month: string
  users: number
  members: number
  penetration: number
  converted: number
  convertible: number
  conversion: number
  paid_ending: number
  paid_renewed: number
  renewal_rate: number | null
  above_first: number
  kept: number
  level_retention: number | null
}

export async function fetchMembershipMetrics(from?: string, to?: string): Promise<MembershipMonth[]> {
  return (await api.get<{ items: MembershipMonth[] }>('/api/v1/membership/metrics', { from, to })).items
}

/** The points rules (the configured ones until operators save their own). */
export interface PointsRules {
  points: { expiry: 'never' | 'days' | 'year_end'; expiry_days: number }
  check_in: {
    points: number
    streak_days: number
    streak_points: number
    streak_coupon_template_id: string | null
    make_ups_per_month: number
    make_up_cost: number
  }
  orders: { points_per_yuan: number; hold_days: number }
}

export interface MembershipSettings extends PointsRules {
  time_zone: string
  /** 0 while the configured rules apply. */
  version: number
  updated_by: string | null
  updated_at: string | null
}

export function fetchMembershipSettings(): Promise<MembershipSettings> {
  return api.get<MembershipSettings>('/api/v1/membership/settings')
}

export function saveMembershipSettings(rules: PointsRules): Promise<MembershipSettings> {
  return api.put<MembershipSettings>('/api/v1/membership/settings', rules)
}

export interface Benefits {
  points_percent?: number
  free_shipping_per_month?: number
  priority_service?: boolean
  birthday_points?: number
  monthly_coupon_template_id?: string | null
  birthday_coupon_template_id?: string | null
}

export interface PaidPlan {
  id: string
  name: string
  term_days: number
  price: string
  grace_days: number
  benefits: Benefits
  status: Status
}

export interface RechargePlan {
  id: string
  name: string
  pay: string
  bonus: string
  status: Status
}

export interface BenefitRun {
  kind: 'monthly' | 'birthday'
  period: string
  members: number
  granted: number
  refused: number
  status: 'running' | 'finished'
  started_at: string
  finished_at: string | null
}

const items = async <T>(path: string): Promise<T[]> => (await api.get<{ items: T[] }>(path)).items

/** The definitions operators keep in lists: list, create, archive or reactivate. */
function definitions<T, Spec>(path: string) {
  return {
    list: (): Promise<T[]> => items<T>(path),
    create: (spec: Spec): Promise<T> => api.post<T>(path, spec),
    setStatus: (id: string, status: Status): Promise<T> =>
      api.post<T>(`${path}/${encodeURIComponent(id)}/status`, { status }),
  }
}

export const paidPlans = definitions<
  PaidPlan,
  { name: string; term_days: number; price: string; grace_days: number; benefits: Benefits }
>('/api/v1/paid-plans')
export const rechargePlans = definitions<RechargePlan, { name: string; pay: string; bonus: string }>(
  '/api/v1/recharge-plans',
)
export const mallItems = definitions<
  MallItem,
  {
    name: string
    kind: string
    coupon_template_id?: string
    points_price: number
    stock?: number | null
    per_member_limit?: number | null
  }
>('/api/v1/points-mall/items')
export const memberTasks = definitions<
  MemberTask,
  { code: string; name: string; kind: string; points: number; coupon_template_id?: string }
>('/api/v1/member-tasks')
export const medals = definitions<
  Medal,
  { code: string; name: string; description: string; metric: string; threshold: number }
>('/api/v1/medals')

export const listBenefitRuns = (): Promise<BenefitRun[]> => items<BenefitRun>('/api/v1/benefit-runs?limit=10')

export function runBenefits(kind: 'monthly' | 'birthday'): Promise<BenefitRun> {
  return api.post<BenefitRun>('/api/v1/benefit-runs', { kind })
}
