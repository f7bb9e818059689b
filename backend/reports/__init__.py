"""Reports: trend, comparison, regions, funnel, visit evidence; as JSON, CSV, XLSX and SVG."""
