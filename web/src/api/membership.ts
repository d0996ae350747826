// A member's ledgers and standing (docs/membership.md): points, stored value, level and
// paid membership, and the newest entries of the two money-like ledgers.
import { ApiError, api } from './client'

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

const member = (id: string): string => `/api/v1/members/${encodeURIComponent(id)}`

export function fetchPoints(userId: string): Promise<PointsAccount> {
  return api.get<PointsAccount>(`${member(userId)}/points`)
}

export function fetchStoredValue(userId: string): Promise<StoredValueAccount> {
  return api.get<StoredValueAccount>(`${member(userId)}/stored-value`)
}

/** The member's level, or null while no level scheme is set up. */
export async function fetchLevel(userId: string): Promise<MemberLevel | null> {
  try {
    return await api.get<MemberLevel>(`${member(userId)}/level`)
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'no_level_scheme') return null
    throw err
  }
}

export function fetchPaidMembership(userId: string): Promise<PaidMembership> {
  return api.get<PaidMembership>(`${member(userId)}/paid-membership`)
}

export async function listPointsEntries(userId: string, limit = 10): Promise<PointsEntry[]> {
  const body = await api.get<{ items: PointsEntry[] }>(`${member(userId)}/points/entries?limit=${limit}`)
  return body.items
}

export async function listStoredValueEntries(userId: string, limit = 10): Promise<StoredValueEntry[]> {
  const body = await api.get<{ items: StoredValueEntry[] }>(`${member(userId)}/stored-value/entries?limit=${limit}`)
  return body.items
}
