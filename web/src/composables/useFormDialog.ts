// The state of a FormDialog: opened with fresh values, checked against the form's rules,
// then saved; validation problems from the server are shown beside the fields they name.

import { reactive, ref, useTemplateRef } from 'vue'
import { ApiError } from '@/api/client'

/** `dialogRef` is the `ref` of the FormDialog in the template. */
export function useFormDialog<F extends object>(dialogRef: string, initial: () => F) {
  const open = ref(false)
  const saving = ref(false)
  const dialog = useTemplateRef<{ validate: () => Promise<boolean> }>(dialogRef)
  const form = reactive(initial()) as F
  /** Field name → the server's message for it. */
  const fieldErrors = ref<Record<string, string>>({})

  /** Opens the dialog with the initial values, and `values` over them. */
  function show(values: Partial<F> = {}): void {
    Object.assign(form, initial(), values)
    fieldErrors.value = {}
    open.value = true
  }

  /**
   * Validates the form, then runs `save` (which closes the dialog when it is done);
   * a validation problem from the server leaves the dialog open with its field errors.
   */
  async function submit(save: () => Promise<void>): Promise<void> {
    fieldErrors.value = {}
    if (!(await dialog.value?.validate().catch(() => false))) return
    saving.value = true
    try {
      await save()
    } catch (err) {
      if (err instanceof ApiError) fieldErrors.value = err.fieldErrors()
    } finally {
      saving.value = false
    }
  }

  return { open, saving, form, fieldErrors, show, submit }
}

/**
 * For `.catch()` on a save: a 409 conflict (a taken name, say) carries no field errors, so
 * it is rethrown as one on `field` and shown beside it.
 */
export function conflictOn(field: string): (err: unknown) => never {
  return (err: unknown): never => {
    if (err instanceof ApiError && err.status === 409 && err.errors.length === 0) {
      throw new ApiError({ ...err, errors: [{ field, reason: err.reason, detail: err.detail }] })
    }
    throw err
  }
}
