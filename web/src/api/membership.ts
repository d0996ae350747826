// A member's ledgers and standing (docs/membership.md): points, stored value, level and
// paid membership, and the newest entries of the two money-like ledgers.
import { ApiError, api } from './client'

import type {
  MemberLevel,
  PaidMembership,
  PointsAccount,
  PointsEntry,
  StoredValueAccount,
  StoredValueEntry,
} from './membershipTypes'

export type { MemberLevel, PaidMembership, PointsAccount, PointsEntry, StoredValueAccount, StoredValueEntry }

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
    return await api.get<MemberLevel>(`${member(userId)}/level`, undefined, { silent: true })
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

/** A member-centre URL signed for the member (as the mall would sign it); it lives two hours. */
export async function memberCentreLink(userId: string): Promise<string> {
  const body = await api.post<{ url: string }>(`${member(userId)}/member-token`)
  return body.url
}
