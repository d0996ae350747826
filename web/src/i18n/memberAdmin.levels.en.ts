// English messages of the level scheme editor (`memberAdmin.levels.*`); the same keys as
// memberAdmin.levels.zh-CN.ts.
import type zhCN from './memberAdmin.levels.zh-CN'

const en: typeof zhCN = {
  title: 'Level scheme',
}

export default en
