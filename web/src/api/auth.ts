import { api } from './client'
import type { Session } from './types'

export function login(username: string, password: string): Promise<Session> {
  return api.post<Session>('/api/v1/auth/login', { username, password }, { silent: true, skipAuthRedirect: true })
}

/** The current session; rejects with an ApiError of status 401 when there is none. */
export function fetchMe(): Promise<Session> {
  return api.get<Session>('/api/v1/auth/me', undefined, { silent: true, skipAuthRedirect: true })
}

/** Ends the session. Failures are not shown: the console forgets the session anyway. */
export function logout(): Promise<void> {
  return api.post<void>('/api/v1/auth/logout', undefined, { silent: true, skipAuthRedirect: true })
}
