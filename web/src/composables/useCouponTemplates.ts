// The coupon templates the membership pages name by id (in selects and in tables),
// fetched once and shared; a failed fetch leaves the ids showing.
import { ref } from 'vue'
import { listCouponTemplates } from '@/api/coupons'
import type { CouponTemplate } from '@/api/couponTypes'

const templates = ref<CouponTemplate[]>([])
let loading: Promise<void> | null = null

export function useCouponTemplates() {
  function load(): Promise<void> {
    loading ??= listCouponTemplates()
      .then((list) => {
        templates.value = list
      })
      .catch(() => {
        loading = null
      })
    return loading
  }

  /** The template's name, the id when it is unknown, `none` without one. */
  const nameOf = (id: string | null | undefined, none: string): string =>
    id ? (templates.value.find((x) => x.id === id)?.name ?? id) : none

  return { templates, load, nameOf }
}
