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

// --- customer data: the mall's users, their orders and behaviour, tags, imports --------

export type Gender = 'male' | 'female' | 'unknown'

export const GENDERS: readonly Gender[] = ['male', 'female', 'unknown']

/** A row of GET /api/v1/users. `phone` is masked ("138****5678") unless the caller is admin. */
export interface UserListItem {
  id: string
  external_id: string
  name: string | null
  phone: string | null
  gender: Gender | string | null
  city: string | null
  province: string | null
  registered_at: string | null
  source_channel: string | null
  /** Known only by id (from an order or event), never sent as a user record. */
  is_bare: boolean
  erased: boolean
}

/** Filters of GET /api/v1/users; empty values are left out of the query. */
export interface UserFilters {
  /** External id (exact), phone (exact) or name prefix. */
  q?: string
  city?: string
  province?: string
  gender?: string
  source_channel?: string
  tag_id?: string
  /** RFC 3339 instants. */
  registered_from?: string
  registered_to?: string
}

export interface UserProfile {
  id: string
  external_id: string
  phone: string | null
  name: string | null
  gender: Gender | string | null
  /** YYYY-MM-DD */
  birthday: string | null
  city: string | null
  province: string | null
  occupation: string | null
  education: string | null
  registered_at: string | null
  source_channel: string | null
  referrer: { id: string; external_id: string } | null
  attributes: Record<string, unknown> | null
  is_bare: boolean
  erased_at: string | null
  created_at: string
  updated_at: string
}

export type TagKind = 'manual' | 'system'

/** A tag as carried by one user. */
export interface UserTag {
  id: string
  name: string
  group_id: string
  group_name: string
  kind: TagKind | string
  tagged_at: string
  tagged_by: string
}

export interface MonthlySpend {
  /** YYYY-MM */
  month: string
  /** Decimal string, major units. */
  paid: string
}

/** Money fields are decimal strings in major units of `currency`. */
export interface UserSummary {
  order_count: number
  first_order_at: string | null
  last_order_at: string | null
  currency: string | null
  total_paid: string | null
  aov: string | null
  refunded: string | null
  last_visit_at: string | null
  event_count: number
  spend_by_month: MonthlySpend[]
}

/** GET /api/v1/users/{id} */
export interface UserDetail {
  user: UserProfile
  tags: UserTag[]
  summary: UserSummary
}

export type OrderStatus = 'created' | 'paid' | 'completed' | 'cancelled' | 'refunded'

export const ORDER_STATUSES: readonly OrderStatus[] = ['created', 'paid', 'completed', 'cancelled', 'refunded']

export interface OrderItem {
  line_no: number
  sku: string
  product_name: string | null
  category_source_id: string | null
  store_source_id: string | null
  quantity: number
  unit_price: string
  paid_amount: string
  refunded_quantity: number
  refunded_amount: string
}

export interface OrderStatusStep {
  status: OrderStatus | string
  at: string
  refund_amount: string | null
  detail?: string | null
}

export interface Order {
  id: string
  source_id: string
  status: OrderStatus | string
  /** Whether the order counts toward the user's numbers (paid and not wholly cancelled). */
  counts: boolean
  placed_at: string
  paid_at: string | null
  completed_at: string | null
  cancelled_at: string | null
  refunded_at: string | null
  currency: string
  goods_amount: string
  discount_amount: string
  shipping_amount: string
  paid_amount: string
  refunded_amount: string
  store_source_id: string | null
  city: string | null
  channel: string | null
  coupon_codes: string[]
  items: OrderItem[]
  history: OrderStatusStep[]
}

export const EVENT_TYPES = [
  'visit',
  'search',
  'favourite',
  'cart_add',
  'share',
  'review',
  'login',
  'check_in',
  'purchase',
  'custom',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

export interface UserEvent {
  id: string
  source_id: string
  type: EventType | string
  /** The name of a custom event. */
  name: string | null
  occurred_at: string
  channel: string | null
  page: string | null
  store_source_id: string | null
  product_source_id: string | null
  category_source_id: string | null
  search_query: string | null
  rating: number | null
  properties: Record<string, unknown> | null
}

export interface Tag {
  id: string
  group_id?: string
  name: string
  description: string
  kind: TagKind | string
  user_count: number
}

export interface TagGroup {
  id: string
  name: string
  description: string
  kind: TagKind | string
  tags: Tag[]
}

export type ImportStatus = 'running' | 'succeeded' | 'failed'

export interface ImportCounts {
  read: number
  accepted: number
  duplicate: number
  held: number
  rejected: number
}

export const IMPORT_COUNT_KEYS: readonly (keyof ImportCounts)[] = ['read', 'accepted', 'duplicate', 'held', 'rejected']

export interface ImportRun {
  id: string
  /** olist, taobao, users, orders, order_items, events, demo, ... */
  kind: string
  source: string
  status: ImportStatus | string
  started_at: string
  finished_at: string | null
  started_by: string
  counts: ImportCounts
}

export interface ImportReject {
  file: string
  /** 1-based record number within the file (a CSV header is row 1). */
  row: number
  reason: string
  field: string | null
  detail: string
}

/** GET /api/v1/imports/{id} */
export interface ImportRunDetail extends ImportRun {
  rejects: ImportReject[]
  summary: Record<string, unknown> | null
  error: string | null
}

// --- segments: the filter language, the live count, the feature index ----------------------

/** A feature's type: which values and operators it takes (docs/segments.md). */
export type SegmentFieldType = 'count' | 'money' | 'days' | 'number' | 'text' | 'bool'

/** A row of GET /api/v1/segments/fields. */
export interface SegmentField {
  name: string
  type: SegmentFieldType | string
  /** Takes a window in days: `orders(90d)`. */
  windowed: boolean
  window_required: boolean
}

export type SegmentOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not_in' | 'between'

export type SegmentValue = number | string | boolean

/** A comparison of one feature; `value` with the comparisons, `values` with in, not_in, between. */
export interface SegmentPredicate {
  field: string
  window_days?: number
  op: SegmentOp
  value?: SegmentValue
  values?: SegmentValue[]
}

/** The JSON form of a filter. */
export type SegmentFilter =
  | SegmentPredicate
  | { has_tag: string }
  | { not: SegmentFilter }
  | { and: SegmentFilter[] }
  | { or: SegmentFilter[] }

/** POST /api/v1/segments/preview */
export interface SegmentPreview {
  count: number
  /** Users in the index (erased users are not counted). */
  users: number
  as_of: string
  generation: number
  /** The canonical text form of the filter. */
  text: string
  filter: SegmentFilter
}

/** GET /api/v1/segments/index */
export interface SegmentIndexInfo {
  ready: boolean
  generation: number
  users: number
  memory_bytes: number
  built_at: string | null
  build_seconds: number
  /** Users read again since the full build, by `updates` updates; the last at `updated_at`. */
  changed_users: number
  updates: number
  updated_at: string | null
  update_seconds: number
}

// --- saved segments and the analyses on filters ----------------------------------------------

export type SavedSegmentKind = 'dynamic' | 'snapshot'

/** A row of GET /api/v1/segments, and the answer of its create, read, change and snapshot. */
export interface SavedSegment {
  id: string
  name: string
  description: string
  kind: SavedSegmentKind | string
  /** The canonical text of its filter. */
  text: string
  filter: SegmentFilter
  /** Live for a dynamic segment (null while the index loads); the stored members of a snapshot. */
  count: number | null
  /** The dynamic segment a snapshot was taken of. */
  snapshot_of: string | null
  snapshot_at: string | null
  created_by: string
  created_at: string
  updated_at: string
}

/** A row of GET /api/v1/segments/{id}/members (ascending by user id). */
export interface SegmentMember {
  id: string
  external_id: string
}

/** POST /api/v1/segments/explain: the users left after each condition of a top-level `and`. */
export interface SegmentExplain {
  steps: { text: string; users: number }[]
  as_of: string
}

/** POST /api/v1/segments/overlap */
export interface SegmentOverlap {
  a: number
  b: number
  both: number
  a_only: number
  b_only: number
  either: number
}

/** The dimensions POST /api/v1/segments/pivot groups by. */
export const PIVOT_DIMENSIONS = ['city', 'province', 'gender', 'source_channel', 'lifecycle', 'rfm_cell', 'pareto_tier', 'aidees'] as const

export type PivotDimension = (typeof PIVOT_DIMENSIONS)[number]

export interface PivotRequest {
  dimensions: string[]
  /** A numeric feature, optionally windowed: "spend(365d)". */
  sum?: string
  filter?: string
  as_of?: string
}

export interface PivotCell {
  /** One value per dimension; null is "no value". */
  key: (string | null)[]
  users: number
  /** With `sum`: the feature's sum over the cell (money in minor units, fen). */
  sum?: number
}

export interface PivotResult {
  dimensions: string[]
  cells: PivotCell[]
}

/** GET /api/v1/users/{id}/attitudes: the Fishbein attitude towards each reviewed category. */
export interface UserAttitudes {
  /** The configured attributes and their weights Eᵢ (-3 to 3). */
  attributes: { name: string; weight: number }[]
  /** Highest attitude first. */
  items: {
    category: string
    category_name: string | null
    /** A = Σ Bᵢ·Eᵢ, to two decimals. */
    attitude: number
    reviews: number
    /** Bᵢ (1–5) by attribute, those the reviews give. */
    beliefs: Record<string, number>
  }[]
}

/** GET /api/v1/users/{id}/models: the built-in models of one user (docs/analytics.md). */
export interface UserModels {
  as_of: string
  lifecycle: string | null
  rfm_cell: string | null
  r_score: number | null
  f_score: number | null
  m_score: number | null
  pareto_tier: string | null
  /** The AIDEES stage: null without a touch point in the RFM window (absent from older servers). */
  aidees?: string | null
  /** `new_customer` (one counting order) or `repeat_customer` (two or more); null without one. */
  customer?: string | null
  /** `member` (from the first growth entry or paid purchase) or `non_member` (absent from older servers). */
  member?: string
  /** The consumption values the user's facts show, of functional, social, emotional, epistemic, conditional. */
  motivations?: string[]
}

/** GET /api/v1/analytics/lifecycle/flows: stage changes recorded in [from, to), by stage pair. */
export interface LifecycleFlow {
  /** null: the user's first recorded stage. */
  from: string | null
  to: string
  users: number
}

export interface LifecycleFlows {
  from: string
  to: string
  flows: LifecycleFlow[]
}

/** POST /api/v1/analytics/aarrr */
export interface AarrrRequest {
  from: string
  to: string
  filter?: string
}

/** The AARRR funnel of [from, to) (docs/analytics.md#aarrr); revenue in minor units (fen). */
export interface AarrrResult {
  from: string
  to: string
  acquired: number
  activated: number
  retained: number
  referring: number
  paying: number
  revenue: number
}
