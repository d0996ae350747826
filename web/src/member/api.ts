// The member centre's one way to the server: /api/v1/me with the member token the mall
// signed (`Authorization: Member <token>`). The token arrives once in the page's URL
// (?token=…), is kept in this tab's session storage and taken out of the address bar.
// Every change carries a fresh Idempotency-Key; failures are RFC 9457 problems, thrown
// as MemberApiError.

const TOKEN_KEY = 'shopcrm.member.token'

export class MemberApiError extends Error {
  readonly status: number
  readonly reason: string

  constructor(status: number, reason: string, detail: string) {
    super(detail || reason)
    this.name = 'MemberApiError'
    this.status = status
    this.reason = reason
  }
}

/** The token from the URL (stored) or from this tab's storage; null when there is none. */
export function takeToken(): string | null {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  try {
    if (fromUrl) {
      sessionStorage.setItem(TOKEN_KEY, fromUrl)
      url.searchParams.delete('token')
      window.history.replaceState(null, '', url.pathname + url.search + url.hash)
    }
    return sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return fromUrl // storage disabled: this page view only
  }
}

let token: string | null = null

export function setToken(value: string | null): void {
  token = value
}

/** 32 random hex digits (crypto.getRandomValues works outside secure contexts too). */
function newKey(): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (token) headers.Authorization = `Member ${token}`
  if (method === 'POST') {
    headers['Idempotency-Key'] = newKey()
    headers['Content-Type'] = 'application/json'
  }
  let res: Response
  try {
    res = await fetch(`/api/v1/me${path}`, {
      method,
      headers,
      credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    throw new MemberApiError(0, 'network', '')
  }
  const text = await res.text()
  const json = text ? JSON.parse(text) : null
  if (!res.ok) throw new MemberApiError(res.status, json?.reason ?? 'error', json?.detail ?? '')
  return json as T
}

export const me = {
  get: <T>(path = '') => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
}
