"""Insight for the VeiligheidsTeam, process owners and auditors (issue 14): the overview (deadline
compliance, durations, end states, the heatmap) and the event logs for process mining."""
