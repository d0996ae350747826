// The one place the console talks HTTP to the shopcrm server.
//
// - Requests go to the console's own origin with the session cookie (credentials
//   'same-origin'); bodies are JSON.
// - Unsafe methods (POST/PUT/PATCH/DELETE) carry `X-CSRF-Token`, taken from the login
//   response or GET /api/v1/auth/me (see setCsrfToken).
// - Failures come back as RFC 9457 problem documents and are thrown as ApiError; by
//   default their `detail` is also shown in an ElMessage.

import { ElMessage } from 'element-plus'
import { i18n } from '@/i18n'

/** One entry of a problem's `errors` array: a field that failed validation. */
export interface FieldError {
  field: string
  reason: string
  detail: string
}

/** The fields of an RFC 9457 problem document as the shopcrm server sends them. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  reason: string
  request_id?: string
  errors?: FieldError[]
}

/** A failed request. `status` is 0 when the server could not be reached at all. */
export class ApiError extends Error implements Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly reason: string
  readonly request_id?: string
  readonly errors: FieldError[]

  constructor(problem: Problem) {
    super(problem.detail || problem.title)
    this.name = 'ApiError'
    this.type = problem.type
    this.title = problem.title
    this.status = problem.status
    this.detail = problem.detail
    this.reason = problem.reason
    this.request_id = problem.request_id
    this.errors = problem.errors ?? []
  }

  /** Field name → message, for showing validation errors next to form items. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const e of this.errors) out[e.field] ??= e.detail || e.reason
    return out
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface RequestOptions {
  method?: HttpMethod
  /** Sent as JSON. */
  body?: unknown
  /** Appended to the URL; undefined and null values are left out. */
  query?: Record<string, string | number | boolean | null | undefined>
  /** Do not show the error in an ElMessage; the caller presents it itself. */
  silent?: boolean
  /** Do not run the unauthorized hook on 401 (used by the auth calls themselves). */
  skipAuthRedirect?: boolean
  /** Non-2xx statuses whose JSON body is returned instead of thrown (e.g. 503 from /readyz). */
  acceptStatuses?: readonly number[]
  signal?: AbortSignal
}

const UNSAFE_METHODS: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

let csrfToken: string | null = null
let onUnauthorized: (() => void) | null = null

/** Remembers the session's CSRF token; null forgets it (after logout). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

/** Called when any request (other than the auth calls) answers 401: the session is gone. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler
}

function buildUrl(path: string, query?: RequestOptions['query']): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

function isProblemLike(value: unknown): value is Partial<Problem> {
  return typeof value === 'object' && value !== null && ('detail' in value || 'title' in value)
}

/** Turns a non-2xx response into an ApiError, whatever its body looks like. */
async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown = null
  const text = await res.text().catch(() => '')
  if (text) {
    try {
      body = JSON.parse(text)
    } catch {
      body = null // an HTML error page from a proxy, for instance
    }
  }
  const t = i18n.global.t
  if (isProblemLike(body)) {
    return new ApiError({
      type: body.type ?? 'about:blank',
      title: body.title ?? res.statusText,
      status: typeof body.status === 'number' ? body.status : res.status,
      detail: body.detail ?? body.title ?? t('error.http', { status: res.status }),
      reason: body.reason ?? '',
      request_id: body.request_id ?? res.headers.get('X-Request-Id') ?? undefined,
      errors: Array.isArray(body.errors) ? body.errors : [],
    })
  }
  return new ApiError({
    type: 'about:blank',
    title: res.statusText,
    status: res.status,
    detail: t('error.http', { status: res.status }),
    reason: '',
    request_id: res.headers.get('X-Request-Id') ?? undefined,
  })
}

function showError(err: ApiError): void {
  const suffix = err.request_id ? ` (${i18n.global.t('error.requestId')}: ${err.request_id})` : ''
  ElMessage({ type: 'error', message: err.detail + suffix, grouping: true, showClose: true })
}

/**
 * Sends one request and returns the parsed JSON body (undefined for 204 or an empty body).
 * Throws ApiError on any failure.
 */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET'
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  if (UNSAFE_METHODS.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken

  let res: Response
  try {
    res = await fetch(buildUrl(path, options.query), {
      method,
      headers,
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      credentials: 'same-origin',
      signal: options.signal,
    })
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause
    const err = new ApiError({
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      detail: i18n.global.t('error.network'),
      reason: 'network_error',
    })
    if (!options.silent) showError(err)
    throw err
  }

  if (!res.ok && !options.acceptStatuses?.includes(res.status)) {
    const err = await toApiError(res)
    if (err.status === 401 && !options.skipAuthRedirect && onUnauthorized) {
      onUnauthorized()
      throw err // the login page explains; no toast for an expired session
    }
    if (!options.silent) showError(err)
    throw err
  }

  if (res.status === 204) return undefined as T
  const text = await res.text()
  return (text ? JSON.parse(text) : undefined) as T
}

export const api = {
  get: <T>(path: string, query?: RequestOptions['query'], opts?: Omit<RequestOptions, 'method' | 'query'>) =>
    request<T>(path, { ...opts, method: 'GET', query }),
  post: <T>(path: string, body?: unknown, opts?: Omit<RequestOptions, 'method' | 'body'>) =>
    request<T>(path, { ...opts, method: 'POST', body }),
  put: <T>(path: string, body?: unknown, opts?: Omit<RequestOptions, 'method' | 'body'>) =>
    request<T>(path, { ...opts, method: 'PUT', body }),
  patch: <T>(path: string, body?: unknown, opts?: Omit<RequestOptions, 'method' | 'body'>) =>
    request<T>(path, { ...opts, method: 'PATCH', body }),
  delete: <T = void>(path: string, opts?: Omit<RequestOptions, 'method'>) =>
    request<T>(path, { ...opts, method: 'DELETE' }),
}
