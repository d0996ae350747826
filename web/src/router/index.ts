import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/client'
import { ensureSession } from '@/stores/session'
import { i18n } from '@/i18n'
import ConsoleLayout from '@/layouts/ConsoleLayout.vue'
import { NAV } from './nav'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session (the login page). */
    public?: boolean
    /** vue-i18n key of the page title. */
    titleKey?: string
    /** For the "coming soon" page: the module's key in NAV (and in `modules.*` messages). */
    module?: string
  }
}

const comingSoonRoutes: RouteRecordRaw[] = NAV.filter((item) => item.comingSoon).map((item) => ({
  path: item.path.slice(1),
  name: item.key,
  component: () => import('@/views/ComingSoonView.vue'),
  meta: { titleKey: item.titleKey, module: item.key },
}))

const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/views/LoginView.vue'),
    meta: { public: true, titleKey: 'login.title' },
  },
  {
    path: '/',
    component: ConsoleLayout,
    children: [
      { path: '', name: 'home', component: () => import('@/views/HomeView.vue'), meta: { titleKey: 'nav.home' } },
      ...comingSoonRoutes,
      {
        path: 'users',
        name: 'users',
        component: () => import('@/views/users/UsersView.vue'),
        meta: { titleKey: 'nav.users' },
      },
      {
        path: 'users/:id',
        name: 'user',
        component: () => import('@/views/users/UserView.vue'),
        props: true,
        meta: { titleKey: 'nav.users' },
      },
      {
        path: 'tags',
        name: 'tags',
        component: () => import('@/views/users/TagsView.vue'),
        meta: { titleKey: 'nav.tags' },
      },
      {
        path: 'segments',
        name: 'segments',
        component: () => import('@/views/segments/SegmentListView.vue'),
        meta: { titleKey: 'nav.segments' },
      },
      {
        path: 'segments/new',
        name: 'segment-new',
        component: () => import('@/views/segments/SegmentBuilderView.vue'),
        meta: { titleKey: 'nav.segments' },
      },
      {
        path: 'segments/:id(\\d+)/edit',
        name: 'segment-edit',
        component: () => import('@/views/segments/SegmentBuilderView.vue'),
        props: true,
        meta: { titleKey: 'nav.segments' },
      },
      {
        path: 'analytics',
        component: () => import('@/views/analytics/AnalyticsView.vue'),
        meta: { titleKey: 'nav.analytics' },
        children: [
          { path: '', name: 'analytics', redirect: { name: 'analytics-lifecycle' } },
          {
            path: 'lifecycle',
            name: 'analytics-lifecycle',
            component: () => import('@/views/analytics/LifecycleView.vue'),
            meta: { titleKey: 'nav.analytics' },
          },
          {
            path: 'aarrr',
            name: 'analytics-aarrr',
            component: () => import('@/views/analytics/AarrrView.vue'),
            meta: { titleKey: 'nav.analytics' },
          },
          {
            path: 'rfm',
            name: 'analytics-rfm',
            component: () => import('@/views/analytics/RfmView.vue'),
            meta: { titleKey: 'nav.analytics' },
          },
          {
            path: 'pareto',
            name: 'analytics-pareto',
            component: () => import('@/views/analytics/ParetoView.vue'),
            meta: { titleKey: 'nav.analytics' },
          },
          {
            path: 'pivot',
            name: 'analytics-pivot',
            component: () => import('@/views/analytics/PivotView.vue'),
            meta: { titleKey: 'nav.analytics' },
          },
        ],
      },
      {
        path: 'membership',
        component: () => import('@/views/membership/MembershipView.vue'),
        meta: { titleKey: 'nav.membership' },
        children: [
          { path: '', name: 'membership', redirect: { name: 'membership-members' } },
          {
            path: 'members',
            name: 'membership-members',
            component: () => import('@/views/membership/MembersView.vue'),
            meta: { titleKey: 'nav.membership' },
          },
          {
            path: 'metrics',
            name: 'membership-metrics',
            component: () => import('@/views/membership/MembershipMetricsView.vue'),
            meta: { titleKey: 'nav.membership' },
          },
          {
            path: 'levels',
            name: 'membership-levels',
            component: () => import('@/views/membership/LevelSchemeView.vue'),
            meta: { titleKey: 'nav.membership' },
          },
          {
            path: 'plans',
            name: 'membership-plans',
            component: () => import('@/views/membership/PlansView.vue'),
            meta: { titleKey: 'nav.membership' },
          },
          {
            path: 'mall',
            name: 'membership-mall',
            component: () => import('@/views/membership/MallItemsView.vue'),
            meta: { titleKey: 'nav.membership' },
          },
          {
            path: 'tasks',
            name: 'membership-tasks',
            component: () => import('@/views/membership/TasksMedalsView.vue'),
            meta: { titleKey: 'nav.membership' },
          },
        ],
      },
      {
        path: 'coupons',
        name: 'coupons',
        component: () => import('@/views/coupons/CouponTemplateListView.vue'),
        meta: { titleKey: 'nav.coupons' },
      },
      {
        path: 'coupons/new',
        name: 'coupon-new',
        component: () => import('@/views/coupons/CouponTemplateEditView.vue'),
        meta: { titleKey: 'nav.coupons' },
      },
      {
        path: 'coupons/:id(\\d+)/edit',
        name: 'coupon-edit',
        component: () => import('@/views/coupons/CouponTemplateEditView.vue'),
        props: true,
        meta: { titleKey: 'nav.coupons' },
      },
      {
        path: 'coupons/:id(\\d+)',
        name: 'coupon',
        component: () => import('@/views/coupons/CouponTemplateView.vue'),
        props: true,
        meta: { titleKey: 'nav.coupons' },
      },
      {
        path: 'imports',
        name: 'imports',
        component: () => import('@/views/users/ImportsView.vue'),
        meta: { titleKey: 'nav.imports' },
      },
      { path: 'settings', redirect: { name: 'api-keys' } },
      {
        path: 'settings/api-keys',
        name: 'api-keys',
        component: () => import('@/views/settings/ApiKeysView.vue'),
        meta: { titleKey: 'nav.apiKeys' },
      },
      {
        path: 'settings/audit-log',
        name: 'audit-log',
        component: () => import('@/views/settings/AuditLogView.vue'),
        meta: { titleKey: 'nav.auditLog' },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/views/NotFoundView.vue'),
        meta: { titleKey: 'notFound.title' },
      },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
})

/** Only same-origin paths are followed after login, never another site. */
export function safeRedirect(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : '/'
}

router.beforeEach(async (to) => {
  let signedIn = false
  try {
    signedIn = (await ensureSession()) !== null
  } catch (err) {
    // The server could not say (down, 5xx): treat as signed out and say why.
    if (err instanceof ApiError) ElMessage.error(err.detail)
  }
  if (to.meta.public) {
    return to.name === 'login' && signedIn ? safeRedirect(to.query.redirect) : true
  }
  if (!signedIn) {
    return { name: 'login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } }
  }
  return true
})

/** Sends the browser to the login page after the server said the session is gone. */
export function redirectToLogin(): void {
  const current = router.currentRoute.value
  if (current.name === 'login') return
  ElMessage.warning({ message: i18n.global.t('error.sessionExpired'), grouping: true })
  void router.replace({ name: 'login', query: { redirect: current.fullPath } })
}
