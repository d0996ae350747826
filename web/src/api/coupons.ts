import { api } from './client'
import type {
  Cart,
  CheckoutEvaluation,
  CodeBatch,
  Coupon,
  CouponTemplate,
  CouponTemplateSpec,
  GrantJob,
  GrantJobRequest,
  TemplateStatus,
} from './couponTypes'

const templatePath = (id: string): string => `/api/v1/coupon-templates/${encodeURIComponent(id)}`

// --- templates -------------------------------------------------------------------------------

/** Every template, newest first, with its figures. */
export async function listCouponTemplates(): Promise<CouponTemplate[]> {
  const body = await api.get<{ items: CouponTemplate[] }>('/api/v1/coupon-templates')
  return body.items
}

export function fetchCouponTemplate(id: string): Promise<CouponTemplate> {
  return api.get<CouponTemplate>(templatePath(id))
}

/** 400 invalid_fields lists every bad field ("terms.discount", "limits.stock", ...). */
export function createCouponTemplate(spec: CouponTemplateSpec): Promise<CouponTemplate> {
  return api.post<CouponTemplate>('/api/v1/coupon-templates', spec)
}

/** Replaces the template; changed terms make a new version (issued coupons keep theirs). */
export function updateCouponTemplate(id: string, spec: CouponTemplateSpec): Promise<CouponTemplate> {
  return api.put<CouponTemplate>(templatePath(id), spec)
}

/** Pauses (no claims or grants), resumes or ends (for good) a template. */
export function setCouponTemplateStatus(id: string, status: TemplateStatus): Promise<CouponTemplate> {
  return api.post<CouponTemplate>(`${templatePath(id)}/status`, { status })
}

// --- grants ----------------------------------------------------------------------------------

/**
 * Grants one coupon to one user (source crm). Errors are shown by the caller:
 * 422 grant_refused names its reason on `user_id` (too_many_unused, granted_recently).
 */
export function grantCoupon(templateId: string, userId: string, channel?: string): Promise<Coupon> {
  const body: { template_id: string; user_id: string; channel?: string } = { template_id: templateId, user_id: userId }
  if (channel) body.channel = channel
  return api.post<Coupon>('/api/v1/coupons/grant', body, { silent: true })
}

/** Starts a bulk grant to a saved segment or a list of users (202, a job). */
export function startGrantJob(templateId: string, req: GrantJobRequest): Promise<GrantJob> {
  return api.post<GrantJob>(`${templatePath(templateId)}/grants`, req, { silent: true })
}

/** The template's grant jobs, newest first. Errors are shown by the caller. */
export async function listGrantJobs(templateId: string): Promise<GrantJob[]> {
  const body = await api.get<{ items: GrantJob[] }>(`${templatePath(templateId)}/grants`, undefined, { silent: true })
  return body.items
}

export function fetchGrantJob(id: string): Promise<GrantJob> {
  return api.get<GrantJob>(`/api/v1/grant-jobs/${encodeURIComponent(id)}`, undefined, { silent: true })
}

// --- code batches ----------------------------------------------------------------------------

/** Generates `size` (1..100000) one-time codes for the template. */
export function createCodeBatch(templateId: string, name: string, size: number): Promise<CodeBatch> {
  return api.post<CodeBatch>(`${templatePath(templateId)}/code-batches`, { name, size })
}

/** Errors are shown by the caller. */
export async function listCodeBatches(templateId: string): Promise<CodeBatch[]> {
  const body = await api.get<{ items: CodeBatch[] }>(`${templatePath(templateId)}/code-batches`, undefined, { silent: true })
  return body.items
}

/** The batch's codes as CSV (code,redeemed_at,user_id); a plain link, the session cookie authenticates GETs. */
export function codeBatchCsvUrl(id: string): string {
  return `/api/v1/code-batches/${encodeURIComponent(id)}/codes.csv`
}

// --- wallets and checkout --------------------------------------------------------------------

/** A user's coupons, newest first; `status` filters. */
export async function listUserCoupons(userId: string, status?: string | null): Promise<Coupon[]> {
  const body = await api.get<{ items: Coupon[] }>(`/api/v1/users/${encodeURIComponent(userId)}/coupons`, { status }, { silent: true })
  return body.items
}

/** Judges the user's wallet against a cart (read-only; admins and integrations). Errors are shown by the caller. */
export function evaluateCheckout(userId: string, cart: Cart): Promise<CheckoutEvaluation> {
  return api.post<CheckoutEvaluation>('/api/v1/checkout/evaluate', { user_id: userId, cart }, { silent: true })
}
