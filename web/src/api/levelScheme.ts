// The level scheme (docs/membership.md, "Levels and growth value"): 4 to 7 levels with their
// growth thresholds and benefits, how growth is earned, and how it is recycled. GET gives
// the active version; PUT saves the next one.
import { ApiError, api } from './client'

export const RECYCLE_PERIODS = ['none', 'week', 'month', 'quarter', 'year'] as const
export type RecyclePeriod = (typeof RECYCLE_PERIODS)[number]

export const MIN_LEVELS = 4
export const MAX_LEVELS = 7
export const MAX_TASKS = 32

/** A level's benefits; coupon template ids are decimal strings, null for none. */
export interface LevelBenefits {
  points_percent: number
  free_shipping_per_month: number
  priority_service: boolean
  birthday_points: number
  birthday_coupon_template_id: string | null
  monthly_coupon_template_id: string | null
}

export interface LevelDefinition {
  /** 1…n in order; may be left out when saving. */
  level?: number
  name: string
  /** Null only in a draft being saved with the threshold left empty: the server names it. */
  threshold: number | null
  benefits: LevelBenefits
}

/** Growth given for a task the mall reports (`check_in`, `review`, …); daily_cap 0 is no cap. */
export interface GrowthTask {
  task: string
  /** Null only in a draft being saved with the amount left empty: the server names it. */
  amount: number | null
  daily_cap: number
}

/** What PUT takes. */
export interface LevelSchemeSpec {
  levels: LevelDefinition[]
  growth_per_yuan: number
  order_daily_cap: number
  tasks: GrowthTask[]
  recycle: { period: RecyclePeriod | string; keep_percent: number }
}

/** A saved version, as GET and PUT answer. */
export interface LevelScheme extends LevelSchemeSpec {
  version: number
  created_by: string
  created_at: string
}

const PATH = '/api/v1/level-scheme'

/**
 * The active scheme, or null while none has been saved (404 no_level_scheme). Errors are
 * not shown here: the caller presents them.
 */
export async function fetchLevelScheme(): Promise<LevelScheme | null> {
  try {
    return await api.get<LevelScheme>(PATH, undefined, { silent: true })
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'no_level_scheme') return null
    throw err
  }
}

/** Saves a new version. 400 invalid_fields names every bad field ("levels[3].threshold", …). */
export function saveLevelScheme(spec: LevelSchemeSpec): Promise<LevelScheme> {
  return api.put<LevelScheme>(PATH, spec)
}
