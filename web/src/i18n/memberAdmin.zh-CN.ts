// Simplified Chinese messages of the console's membership pages (`memberAdmin.*` in
// zh-CN.ts); memberAdmin.en.ts must have the same keys.
import levels from './memberAdmin.levels.zh-CN'

export default {
  title: '会员',
  intro: '会员名单与指标，等级体系、付费与储值方案、积分商城、任务与勋章的设置。',
  tabs: {
    members: '会员列表',
    metrics: '会员指标',
    levels: '等级体系',
    plans: '付费与储值',
    mall: '积分商城',
    tasks: '任务与勋章',
  },
  levels,
}
