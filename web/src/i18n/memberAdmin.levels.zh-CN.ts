// Simplified Chinese messages of the level scheme editor (`memberAdmin.levels.*`);
// memberAdmin.levels.en.ts must have the same keys.
export default {
  title: '等级体系',
}
