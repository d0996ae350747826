// System tag groups (docs/analytics.md, "System tags"): `sys:lifecycle`, `sys:rfm`,
// `sys:pareto`, `sys:aidees`, `sys:customer`, `sys:member` and `sys:motivation`, whose tags are the values of the built-in
// models and whose members the server computes. They are listed with the manual groups by
// GET /api/v1/tag-groups, usable in filters as has_tag("sys:lifecycle/rising"), and cannot
// be put on or taken off users by hand (422 system_tag_read_only). Pure functions, no Vue.

import type { TagGroup } from '@/api/types'
import { KNOWN_ORDER } from '@/utils/pivot'

/** The system groups in the order the console shows them, with the model their tags are values of. */
export const SYSTEM_TAG_GROUPS: readonly { name: string; key: string; model: string }[] = [
  { name: 'sys:lifecycle', key: 'lifecycle', model: 'lifecycle' },
  { name: 'sys:rfm', key: 'rfm', model: 'rfm_cell' },
  { name: 'sys:pareto', key: 'pareto', model: 'pareto_tier' },
  { name: 'sys:aidees', key: 'aidees', model: 'aidees' },
  { name: 'sys:customer', key: 'customer', model: 'customer' },
  { name: 'sys:member', key: 'member', model: 'member' },
  { name: 'sys:motivation', key: 'motivation', model: 'motivation' },
]

const BY_NAME = new Map(SYSTEM_TAG_GROUPS.map((g) => [g.name, g]))

/** The known system group of this name, if any. */
export const systemGroup = (name: string): (typeof SYSTEM_TAG_GROUPS)[number] | undefined => BY_NAME.get(name)

/** What a filter names a tag by: "group/name" matches that tag only. */
export const tagPath = (groupName: string, tagName: string): string => `${groupName}/${tagName}`

/** The filter that selects a tag's holders: has_tag("sys:lifecycle/rising"). */
export const hasTagFilter = (groupName: string, tagName: string): string =>
  `has_tag(${JSON.stringify(tagPath(groupName, tagName))})`

/** Only manual groups and tags: the ones that can be put on and taken off users. */
export function manualOnly(groups: readonly TagGroup[]): TagGroup[] {
  return groups
    .filter((g) => g.kind === 'manual')
    .map((g) => ({ ...g, tags: g.tags.filter((t) => t.kind === 'manual') }))
}

/**
 * The groups for showing: manual groups first as the server lists them, then the system
 * groups in model order (lifecycle, RFM, Pareto, AIDEES, customer, member, motivation;
 * others after), each
 * system group's tags in the order of the model's values.
 */
export function orderTagGroups(groups: readonly TagGroup[]): TagGroup[] {
  const rank = (g: TagGroup): number => {
    if (g.kind !== 'system') return -1
    const i = SYSTEM_TAG_GROUPS.findIndex((s) => s.name === g.name)
    return i < 0 ? SYSTEM_TAG_GROUPS.length : i
  }
  return groups
    .map((g, i) => ({ g, i }))
    .sort((a, b) => rank(a.g) - rank(b.g) || a.i - b.i)
    .map(({ g }) => {
      const known = KNOWN_ORDER[systemGroup(g.name)?.model ?? ''] ?? []
      if (g.kind !== 'system' || known.length === 0) return g
      const at = (name: string): number => {
        const i = known.indexOf(name)
        return i < 0 ? known.length : i
      }
      return { ...g, tags: [...g.tags].sort((a, b) => at(a.name) - at(b.name) || a.name.localeCompare(b.name)) }
    })
}
