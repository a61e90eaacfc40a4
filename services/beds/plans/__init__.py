"""Plan monitoring: every measurable elderly-care target of the plans, per region, with its source line.

Served by the beds service and stored in its database (ADR 0201): plan indicators
combine bed reports (here), the facility registry and region tree (facilities
service, HTTP), coverage results (coverage service, HTTP) and figures districts
report themselves (here).
"""
