// A period of whole days for an analytics tab, kept in the URL (?from=YYYY-MM-DD&to=…,
// both days included). Without one there, the last `days` days up to the analytics
// "as of" day, or today. The API gets it as the half-open [from, to) of RFC 3339 instants.

import { computed, type WritableComputedRef, type ComputedRef } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import type { AnalyticsScope } from '@/composables/usePivot'
import { addDays, formatDate, isDay, periodOfDays, today } from '@/utils/format'

export interface PeriodState {
  /** First and last day, for a date range picker. */
  days: WritableComputedRef<[string, string]>
  /** What the API takes. */
  period: ComputedRef<{ from: string; to: string }>
}

export function usePeriod(scope: () => AnalyticsScope, days = 30): PeriodState {
  const route = useRoute()
  const router = useRouter()
  const now = today()

  const fallback = (): [string, string] => {
    const asOf = scope().asOf
    const last = asOf ? formatDate(asOf) : now
    return [addDays(last, 1 - days), last]
  }

  const range = computed<[string, string]>({
    get: (): [string, string] => {
      const { from, to } = route.query
      return isDay(from) && isDay(to) && from <= to ? [from, to] : fallback()
    },
    set: (value: [string, string] | null) => {
      const query = { ...route.query }
      if (value && isDay(value[0]) && isDay(value[1])) {
        query.from = value[0]
        query.to = value[1]
      } else {
        delete query.from
        delete query.to
      }
      void router.replace({ query })
    },
  })

  return { days: range, period: computed(() => periodOfDays(...range.value)) }
}
