"""The weekly KPI report: figures, targets, standout posts, mention spikes and the chart."""
