import { api } from './client'
import type { Order, Page, UserAttitudes, UserDetail, UserEvent, UserFilters, UserListItem, UserModels } from './types'

const userPath = (id: string): string => `/api/v1/users/${encodeURIComponent(id)}`

export function listUsers(filters: UserFilters, cursor: string | null, limit = 20): Promise<Page<UserListItem>> {
  return api.get<Page<UserListItem>>('/api/v1/users', { ...filters, limit, cursor })
}

export function fetchUser(id: string): Promise<UserDetail> {
  return api.get<UserDetail>(userPath(id))
}

/** Newest first. */
export function listUserOrders(id: string, cursor: string | null, limit = 10): Promise<Page<Order>> {
  return api.get<Page<Order>>(`${userPath(id)}/orders`, { limit, cursor })
}

/** Newest first; `type` narrows to one event type. */
export function listUserEvents(id: string, type: string | null, cursor: string | null, limit = 20): Promise<Page<UserEvent>> {
  return api.get<Page<UserEvent>>(`${userPath(id)}/events`, { type, limit, cursor })
}

/** Erases the user's personal fields (admin only); orders and events stay, anonymous. */
export function eraseUser(id: string): Promise<void> {
  return api.delete(userPath(id))
}

export function addUserTag(id: string, tagId: string): Promise<void> {
  return api.put(`${userPath(id)}/tags/${encodeURIComponent(tagId)}`)
}

export function removeUserTag(id: string, tagId: string): Promise<void> {
  return api.delete(`${userPath(id)}/tags/${encodeURIComponent(tagId)}`)
}

/** The user's lifecycle stage, RFM cell and scores, Pareto tier; errors are shown by the caller. */
export function fetchUserAttitudes(id: string): Promise<UserAttitudes> {
  return api.get<UserAttitudes>(`${userPath(id)}/attitudes`, undefined, { silent: true })
}

export function fetchUserModels(id: string): Promise<UserModels> {
  return api.get<UserModels>(`${userPath(id)}/models`, undefined, { silent: true })
}
