// Shapes of the shopcrm JSON API as the console uses them. Ids are 64-bit numbers sent
// as decimal strings; times are RFC 3339 strings.

export type Role = 'admin' | 'operator' | 'analyst' | 'integration'

export const ROLES: readonly Role[] = ['admin', 'operator', 'analyst', 'integration']

export interface User {
  id: string
  username: string
  role: Role | string
}

/** Body of POST /api/v1/auth/login and GET /api/v1/auth/me. */
export interface Session {
  user: User
  csrf_token: string
}

/** A page of a cursor-paged list. */
export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface Readiness {
  status: string
  checks?: Record<string, string>
}

export interface SystemInfo {
  name: string
  version: string
  database_backend: 'sqlite' | 'postgresql' | string
  time_zone: string
  started_at: string
  uptime_seconds: number
  requests_served: number
}

export interface ApiKey {
  id: string
  name: string
  role: Role | string
  prefix: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

export interface CreatedApiKey {
  key: ApiKey
  /** The full secret; the server shows it this once and keeps only a hash. */
  secret: string
}

export interface AuditEntry {
  id: string
  at: string
  actor: { type: 'user' | 'api_key' | 'cli' | string; id: string; name: string }
  action: string
  target: { type: string; id: string }
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
  request_id: string
}
