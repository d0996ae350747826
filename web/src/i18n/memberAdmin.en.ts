// English messages of the console's membership pages (`memberAdmin.*` in en.ts); the same
// keys as memberAdmin.zh-CN.ts.
import type zhCN from './memberAdmin.zh-CN'
import levels from './memberAdmin.levels.en'

const en: typeof zhCN = {
  title: 'Membership',
  intro: 'Members and their metrics; the level scheme, paid and recharge plans, the points mall, tasks and medals.',
  tabs: {
    members: 'Members',
    metrics: 'Metrics',
    levels: 'Level scheme',
    plans: 'Paid and recharge plans',
    mall: 'Points mall',
    tasks: 'Tasks and medals',
  },
  levels,
}

export default en
