// Labels of the API's enumerations in the current language. Values the console does not
// know yet (a new event type, an import kind added on the server) are shown as sent.

import { useI18n } from 'vue-i18n'
import { systemGroup } from '@/utils/systemTags'

export function useLabels() {
  const { t, te } = useI18n()
  const label = (prefix: string, value: string | null | undefined): string => {
    if (value === null || value === undefined || value === '') return ''
    const key = `${prefix}.${value}`
    return te(key) ? t(key) : value
  }
  return {
    gender: (v: string | null | undefined) => label('gender', v),
    orderStatus: (v: string | null | undefined) => label('orders.statuses', v),
    eventType: (v: string | null | undefined) => label('events.types', v),
    visitPage: (v: string | null | undefined) => label('events.pages', v),
    tagKind: (v: string | null | undefined) => label('tags.kinds', v),
    importStatus: (v: string | null | undefined) => label('imports.statuses', v),
    importKind: (v: string | null | undefined) => label('imports.kinds', v),
    importEntity: (v: string | null | undefined) => label('imports.entities', v),
    importSummaryKey: (v: string | null | undefined) => label('imports.summaryKeys', v),
    lifecycle: (v: string | null | undefined) => label('segments.choices.lifecycle', v),
    rfmCell: (v: string | null | undefined) => label('segments.choices.rfm_cell', v),
    paretoTier: (v: string | null | undefined) => label('segments.choices.pareto_tier', v),
    aidees: (v: string | null | undefined) => label('segments.choices.aidees', v),
    customer: (v: string | null | undefined) => label('segments.choices.customer', v),
    member: (v: string | null | undefined) => label('segments.choices.member', v),
    motivation: (v: string | null | undefined) => label('segments.choices.motivation', v),
    couponKind: (v: string | null | undefined) => label('coupons.kinds', v),
    couponFunding: (v: string | null | undefined) => label('coupons.fundings', v),
    templateStatus: (v: string | null | undefined) => label('coupons.statuses', v),
    walletStatus: (v: string | null | undefined) => label('coupons.walletStatuses', v),
    couponSource: (v: string | null | undefined) => label('coupons.sources', v),
    grantJobStatus: (v: string | null | undefined) => label('coupons.jobStatuses', v),
    /** Why a grant was refused or skipped, or why a coupon does not fit a cart. */
    couponReason: (v: string | null | undefined) => label('coupons.reasons', v),
    /**
     * A tag group's name for people: the system groups ("sys:lifecycle") by what they are
     * (生命周期); manual groups as named.
     */
    tagGroup: (name: string): string => {
      const sys = systemGroup(name)
      return sys && te(`tags.systemGroups.${sys.key}`) ? t(`tags.systemGroups.${sys.key}`) : name
    },
    /** A tag's name for people: a system group's tags by the model value they are (上升); manual tags as named. */
    tag: (groupName: string, name: string): string => {
      const sys = systemGroup(groupName)
      return sys ? label(`segments.choices.${sys.model}`, name) || name : name
    },
    /** A segment feature or pivot dimension by name: `city`, `rfm_cell`, `spend(365d)`. */
    feature: (name: string): string => {
      const m = /^([a-z_]+)(?:\((\d+)d\))?$/.exec(name)
      if (!m) return name
      const base = te(`segments.fields.${m[1]}`) ? t(`segments.fields.${m[1]}`) : m[1]
      return m[2] ? t('analytics.windowed', { name: base, days: m[2] }) : base
    },
    /** A value of a pivot dimension; null is "no value". */
    dimensionValue: (dimension: string, v: string | null): string => {
      if (v === null) return t('analytics.noValue')
      if (dimension === 'gender') return label('gender', v)
      return label(`segments.choices.${dimension}`, v)
    },
  }
}

type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

/** Element Plus tag colours of order statuses. */
export function orderStatusType(status: string): TagType {
  switch (status) {
    case 'completed':
      return 'success'
    case 'paid':
      return 'primary'
    case 'cancelled':
      return 'info'
    case 'refunded':
      return 'danger'
    default:
      return 'warning' // created: waiting for payment
  }
}

/** Element Plus tag colours of coupon template statuses. */
export function templateStatusType(status: string): TagType {
  return status === 'active' ? 'success' : status === 'paused' ? 'warning' : 'info'
}

/** Element Plus tag colours of coupons in a wallet. */
export function walletStatusType(status: string): TagType {
  switch (status) {
    case 'unused':
      return 'success'
    case 'locked':
      return 'warning'
    case 'used':
      return 'primary'
    case 'refunded':
      return 'danger'
    default:
      return 'info' // expired
  }
}

/** Element Plus tag colours of grant jobs. */
export function grantJobStatusType(status: string): TagType {
  return status === 'done' ? 'success' : status === 'failed' ? 'danger' : status === 'running' ? 'primary' : 'info'
}

/** Element Plus tag colours of import run statuses. */
export function importStatusType(status: string): TagType {
  return status === 'succeeded' ? 'success' : status === 'failed' ? 'danger' : 'primary'
}
