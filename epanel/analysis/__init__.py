"""Analysis: results, crosstabs, weighting to population targets, charts and exports."""
