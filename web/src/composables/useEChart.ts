// An ECharts instance on an element for as long as the component lives: created on mount
// with the component's option, resized with the element, given the option again when
// one of `sources` changes, disposed on unmount. Each chart registers the ECharts parts
// it needs (echarts.use) itself, so only those are bundled.

import { onBeforeUnmount, onMounted, shallowRef, watch, type Ref, type WatchSource } from 'vue'
import * as echarts from 'echarts/core'

export function useEChart(
  el: Readonly<Ref<HTMLElement | null>>,
  option: () => echarts.EChartsCoreOption,
  sources: WatchSource[],
  update?: echarts.SetOptionOpts,
): void {
  const chart = shallowRef<echarts.ECharts>()
  let resizeObserver: ResizeObserver | undefined

  onMounted(() => {
    if (!el.value) return
    chart.value = echarts.init(el.value)
    chart.value.setOption(option())
    resizeObserver = new ResizeObserver(() => chart.value?.resize())
    resizeObserver.observe(el.value)
  })

  watch(sources, () => chart.value?.setOption(option(), update))

  onBeforeUnmount(() => {
    resizeObserver?.disconnect()
    chart.value?.dispose()
  })
}
