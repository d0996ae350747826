// A list of user ids or external ids as an operator pastes or uploads it: typed or a .txt
// file, separated by line breaks, commas, semicolons or spaces; a .csv file, the first
// column of each line. A header (user_id, external_id, id) is skipped, quotes are
// trimmed, and repeats are dropped (first one kept).

const HEADER = /^(user_?id|external_?id|id|uid)$/i

const unquote = (s: string): string => s.trim().replace(/^"(.*)"$/, '$1').trim()

export function parseIdList(text: string, csv = false): string[] {
  const cells = csv ? text.split(/\r?\n/).map((line) => line.split(/[,\t;]/)[0] ?? '') : text.split(/[\s,;]+/)
  const ids = cells.map(unquote).filter((id) => id !== '')
  if (ids.length > 0 && HEADER.test(ids[0])) ids.shift()
  return [...new Set(ids)]
}

/** User ids are decimal numbers. */
export const isUserId = (id: string): boolean => /^\d{1,19}$/.test(id)
