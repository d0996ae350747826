import { api } from './client'
import type { AarrrRequest, AarrrResult, LifecycleFlows } from './types'

// Errors are not shown by the client: the analytics pages show them (a bad filter beside
// the filter box).

/** Lifecycle stage changes recorded in [from, to) (RFC 3339), counted by stage pair. */
export function fetchLifecycleFlows(period: { from: string; to: string }, signal?: AbortSignal): Promise<LifecycleFlows> {
  return api.get<LifecycleFlows>('/api/v1/analytics/lifecycle/flows', { from: period.from, to: period.to }, { silent: true, signal })
}

/** The AARRR funnel of [from, to) among the users the filter matches as of `to`. */
export function fetchAarrr(req: AarrrRequest, signal?: AbortSignal): Promise<AarrrResult> {
  return api.post<AarrrResult>('/api/v1/analytics/aarrr', req, { silent: true, signal })
}
