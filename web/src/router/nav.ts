// The console's modules, in menu order. The left menu and the placeholder routes of
// modules that are not built yet are both made from this list.

import type { Component } from 'vue'
import {
  ChatDotRound,
  CollectionTag,
  DataAnalysis,
  Document,
  Key,
  Medal,
  Odometer,
  PieChart,
  Promotion,
  Setting,
  Ticket,
  TrendCharts,
  Upload,
  User,
} from '@element-plus/icons-vue'

export interface NavItem {
  /** Stable id: the `data-test="nav-<key>"` of its menu entry. */
  key: string
  /** Absolute route path. */
  path: string
  /** vue-i18n key of its label. */
  titleKey: string
  icon: Component
  /** Not built yet: the route shows the "coming soon" page. */
  comingSoon?: boolean
  children?: NavItem[]
}

export const NAV: NavItem[] = [
  { key: 'home', path: '/', titleKey: 'nav.home', icon: Odometer },
  { key: 'users', path: '/users', titleKey: 'nav.users', icon: User },
  { key: 'tags', path: '/tags', titleKey: 'nav.tags', icon: CollectionTag },
  { key: 'imports', path: '/imports', titleKey: 'nav.imports', icon: Upload },
  { key: 'segments', path: '/segments', titleKey: 'nav.segments', icon: PieChart },
  { key: 'analytics', path: '/analytics', titleKey: 'nav.analytics', icon: DataAnalysis },
  { key: 'coupons', path: '/coupons', titleKey: 'nav.coupons', icon: Ticket },
  { key: 'membership', path: '/membership', titleKey: 'nav.membership', icon: Medal },
  { key: 'plays', path: '/plays', titleKey: 'nav.plays', icon: Promotion, comingSoon: true },
  { key: 'channels', path: '/channels', titleKey: 'nav.channels', icon: ChatDotRound, comingSoon: true },
  { key: 'metrics', path: '/metrics', titleKey: 'nav.metrics', icon: TrendCharts, comingSoon: true },
  {
    key: 'settings',
    path: '/settings',
    titleKey: 'nav.settings',
    icon: Setting,
    children: [
      { key: 'api-keys', path: '/settings/api-keys', titleKey: 'nav.apiKeys', icon: Key },
      { key: 'audit-log', path: '/settings/audit-log', titleKey: 'nav.auditLog', icon: Document },
    ],
  },
]
