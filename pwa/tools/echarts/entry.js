// What the report screens draw with, and nothing else: line, bar, scatter (a target's mark), funnel and
// heatmap (the grid of regions by city) on the canvas renderer, with grid, tooltip, legend and a continuous
// visual map (the heatmap's colour scale).
// The canvas renderer keeps the page's CSP strict: it styles its elements through the CSSOM only.
import { use, init } from 'echarts/core';
import { LineChart, BarChart, ScatterChart, FunnelChart, HeatmapChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendComponent, VisualMapContinuousComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([LineChart, BarChart, ScatterChart, FunnelChart, HeatmapChart, GridComponent, TooltipComponent, LegendComponent,
  VisualMapContinuousComponent, CanvasRenderer]);

export { init };
