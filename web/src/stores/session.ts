// Who is logged in. A plain reactive object is enough for one user and one token; the
// CSRF token itself lives in the API client, which is the only code that sends it.

import { reactive, readonly } from 'vue'
import { ApiError, setCsrfToken } from '@/api/client'
import * as auth from '@/api/auth'
import type { User } from '@/api/types'

interface SessionState {
  user: User | null
  /** True once /auth/me has been asked in this page load, whatever it answered. */
  checked: boolean
}

const state = reactive<SessionState>({ user: null, checked: false })

export const session = readonly(state)

function adopt(user: User | null, csrf: string | null): void {
  state.user = user
  state.checked = true
  setCsrfToken(csrf)
}

/** Logs in; rejects with the server's ApiError (401 invalid_credentials, 429, ...). */
export async function logIn(username: string, password: string): Promise<User> {
  const s = await auth.login(username, password)
  adopt(s.user, s.csrf_token)
  return s.user
}

/**
 * Makes sure the session is known: asks /auth/me once per page load. Returns the user,
 * or null when the server answers 401. Other failures are rethrown.
 */
export async function ensureSession(): Promise<User | null> {
  if (state.checked) return state.user
  try {
    const s = await auth.fetchMe()
    adopt(s.user, s.csrf_token)
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err
    adopt(null, null)
  }
  return state.user
}

/** Logs out on the server (best effort) and forgets the session here. */
export async function logOut(): Promise<void> {
  try {
    await auth.logout()
  } finally {
    adopt(null, null)
  }
}

/** Forgets the session without asking the server (it already said 401). */
export function dropSession(): void {
  adopt(null, null)
}

/** Operators and admins change data (tags, tag groups); analysts and integrations only read. */
export function canEdit(): boolean {
  const role = state.user?.role
  return role === 'admin' || role === 'operator'
}

/** Admins only: erasing personal data, seeing unmasked phone numbers. */
export function isAdmin(): boolean {
  return state.user?.role === 'admin'
}
